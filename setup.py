from setuptools import find_packages, setup


def read_requirements(path='requirements.txt'):
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


def read_version():
    scope = {}
    with open('hashnet_mm/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='hashnet_mm',
    version=read_version(),
    description='HashNet deep hashing for image retrieval on OpenMMLab',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['hashnet_mm', 'hashnet_mm.*']),
    package_data={'hashnet_mm.datasets': ['demo_data/*.npz',
                                          'demo_data/*.md']},
    python_requires='>=3.9',
    install_requires=read_requirements(),
    extras_require={'tests': ['pytest']},
)
