from .hash_inferencer import HashInferencer, inference_pipeline_config

__all__ = ['HashInferencer', 'inference_pipeline_config']
