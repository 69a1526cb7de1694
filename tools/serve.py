"""Serve a model and an index: a search page and a JSON API.

    python tools/serve.py CONFIG CHECKPOINT INDEX [--host 127.0.0.1] \
        [--port 8000] [--device cpu] [--max-upload-mb 16] \
        [--max-pixels N] [--max-results 1000]

Open http://127.0.0.1:8000/ to search by uploading or dragging an image, or
by clicking any result; the API is under /api (docs/en/user_guides/
serving.md; ``curl http://127.0.0.1:8000/api/health``). The index is one
``tools/build_index.py`` wrote with this model's codes. Listens on loopback
unless ``--host`` says otherwise. Needs the ``[serve]`` extra.
"""
import argparse
import sys

from mmengine.config import Config, DictAction

from hashnet_mm.serving import (DEFAULT_MAX_RESULTS, DEFAULT_MAX_UPLOAD_BYTES,
                                SearchService)
from hashnet_mm.utils.cli import add_max_pixels_arg, max_pixels_setting

LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Serve a search page and a JSON API over an index')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('index', help='index file (tools/build_index.py)')
    parser.add_argument(
        '--host',
        default='127.0.0.1',
        help='address to listen on (default 127.0.0.1, this machine only)')
    parser.add_argument(
        '--port',
        type=int,
        default=8000,
        help='port (default 8000; 0: any free port)')
    parser.add_argument(
        '--device', help='cuda or cpu (default: cuda when available)')
    parser.add_argument(
        '--max-upload-mb',
        type=float,
        default=DEFAULT_MAX_UPLOAD_BYTES / 2**20,
        help='largest image file accepted, in MiB (default %(default)g)')
    add_max_pixels_arg(parser, 'an upload')
    parser.add_argument(
        '--max-results',
        type=int,
        default=DEFAULT_MAX_RESULTS,
        help='most results of one search (default %(default)d)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries')
    args = parser.parse_args(argv)
    if args.max_upload_mb <= 0:
        parser.error('--max-upload-mb must be > 0')
    args.max_pixels = max_pixels_setting(parser, args)
    if args.max_results < 1:
        parser.error('--max-results must be >= 1')
    return args


def main(argv=None):
    args = parse_args(argv)
    # The [serve] extra, checked before the model loads.
    from hashnet_mm.serving.app import create_app
    from hashnet_mm.serving.server import run_server
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    service = SearchService.from_files(
        cfg,
        args.checkpoint,
        args.index,
        args.device,
        config_name=args.config,
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        max_pixels=args.max_pixels,
        max_results=args.max_results)
    if args.host not in LOOPBACK:
        print(
            f'warning: listening on {args.host}: the page and the images '
            'of the index are open to the network',
            file=sys.stderr)
    health = service.health()
    print(
        f"serving {health['config']} ({health['num_bits']}-bit codes) over "
        f"{args.index} ({health['index_size']:,} items)",
        flush=True)
    run_server(create_app(service), args.host, args.port)


if __name__ == '__main__':
    main()
