"""mmengine's CheckpointHook for runs that may be killed and resumed."""
import glob
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS


def validation_due(runner) -> bool:
    """Whether the train loop validates at the step it stands at (the
    iteration, or the epoch of an epoch-based loop), by the loop's own rule:
    from ``val_begin`` on, every ``val_interval`` steps and at the last."""
    if runner.val_loop is None:
        return False
    loop = runner.train_loop
    if hasattr(loop, '_decide_current_val_interval'):  # dynamic intervals
        loop._decide_current_val_interval()
    if isinstance(loop, EpochBasedTrainLoop):
        step, last = runner.epoch, loop.max_epochs
    else:
        step, last = runner.iter, loop.max_iters
    return step > 0 and step >= loop.val_begin and (step % loop.val_interval
                                                    == 0 or step == last)


@HOOKS.register_module()
class ResumableCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose work survives a kill at any moment.

    - The training loop saves a checkpoint, then validates. A resumed run
      starts after that checkpoint, so a kill in between lost the
      validation for good (at the last iteration: no final scores, no best
      checkpoint, exit 0). Resumed at a step where the loop validates, this
      hook validates first, before training goes on. A validation that had
      finished gives the same scores again: the best checkpoint stays.
    - mmengine deletes the previous best checkpoint and then writes the new
      one; killed in between, a run has none. Here the new one is written
      under a temporary name (``*.pth.part``, removed when a run starts),
      renamed into place, and only then is the previous one deleted: a best
      checkpoint, whole, always exists once one was saved.

    Arguments are ``CheckpointHook``'s; the tools put this hook in place of
    a plain ``CheckpointHook``.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and isinstance(self.file_backend, LocalBackend):
            for partial in glob.glob(
                    osp.join(self.out_dir, 'best_*.pth.part')):
                os.remove(partial)
                runner.logger.info(f'Removed {partial}, a best checkpoint '
                                   'whose writing was interrupted')
        if validation_due(runner):
            step = f'epoch {runner.epoch}' if isinstance(
                runner.train_loop, EpochBasedTrainLoop) else \
                f'iteration {runner.iter}'
            runner.logger.info(
                f'Resumed at {step}, where the run validates: validating '
                'now, in case the interrupted run stopped before its '
                'validation (and best checkpoint) at this step.')
            runner.val_loop.run()

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        if not isinstance(self.file_backend, LocalBackend):
            super()._save_best_checkpoint(runner, metrics)
            return
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])
        step = runner.epoch if self.by_epoch else runner.iter
        step_name = self.filename_tmpl.format(step)
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        single = len(self.key_indicators) == 1
        updated = False
        for key, rule in zip(self.key_indicators, self.rules):
            score_key = 'best_score' if single else f'best_score_{key}'
            path_key = 'best_ckpt' if single else f'best_ckpt_{key}'
            best = runner.message_hub.get_info(score_key,
                                               self.init_value_map[rule])
            score = metrics[key]
            if score is None or not self.is_better_than[key](score, best):
                continue
            updated = True
            runner.message_hub.update_info(score_key, score)
            previous = self.best_ckpt_path if single else \
                self.best_ckpt_path_dict[key]
            name = f'best_{key}_{step_name}'.replace('/', '_')
            path = self.file_backend.join_path(self.out_dir, name)
            if single:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key] = path
            runner.message_hub.update_info(path_key, path)
            self._replace_best(runner, path, previous, meta)
            runner.logger.info(
                f'The best checkpoint with {score:0.4f} {key} at {step} '
                f'{"epoch" if self.by_epoch else "iter"} is saved to {name}.')
        # As mmengine: save the step's checkpoint again, so that the best
        # score and file in its message hub are the current ones.
        if updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, step, meta)

    def _replace_best(self, runner, path: str, previous, meta: dict) -> None:
        """Write the best checkpoint to ``path`` through a temporary file,
        then delete ``previous`` (when it is another file)."""
        partial = path + '.part'
        runner.save_checkpoint(
            self.out_dir,
            filename=osp.basename(partial),
            file_client_args=self.file_client_args,
            save_optimizer=False,
            save_param_scheduler=False,
            meta=meta,
            by_epoch=False,
            backend_args=self.backend_args)
        if not is_main_process():
            return
        os.replace(partial, path)
        if previous and osp.abspath(previous) != osp.abspath(path) \
                and osp.isfile(previous):
            os.remove(previous)
            runner.logger.info(
                f'The previous best checkpoint {previous} is removed')
