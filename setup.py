"""Build hook (everything else is in pyproject.toml): the wheel ships the built corpus and the
coding problems and the prompt files inside the package, as ``mockint/_data/``, so an installed mockint finds them
without the checkout (``mockint.config.packaged_path``)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithData(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "mockint" / "_data"
        (target / "corpus").mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "corpus" / "questions.jsonl", target / "corpus" / "questions.jsonl")
        (target / "corpus" / "coding").mkdir(exist_ok=True)
        shutil.copy2(  # the coding track's built problems (their tests, references)
            ROOT / "corpus" / "coding" / "problems.jsonl",
            target / "corpus" / "coding" / "problems.jsonl",
        )
        shutil.copytree(ROOT / "prompts", target / "prompts", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithData})
