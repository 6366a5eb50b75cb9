from setuptools import find_packages, setup

setup(
    name="minigrad-digitsum",
    version="0.1.0",
    description="minigrad: a from-scratch NumPy/Numba deep learning library; digitsum: reading sums of handwritten digits with it",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["minigrad", "minigrad.*", "digitsum", "digitsum.*"]),
    package_data={"digitsum": ["pretrained/*.npz"]},
    python_requires=">=3.10",
    install_requires=["numpy", "numba", "matplotlib", "tqdm", "pillow"],  # pillow: already a matplotlib dependency
    extras_require={
        "test": ["pytest", "hypothesis", "torch==2.13.0", "onnx", "onnxruntime"],
    },
)
