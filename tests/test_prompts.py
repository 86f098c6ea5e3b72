"""The prompt files are plain YAML a school can copy and edit: every YAML parser reads them alike."""

from __future__ import annotations

import pytest
import yaml

from gesprekopname.config import PROMPTS_DIR


@pytest.mark.parametrize("path", sorted(PROMPTS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_a_prompt_file_reads_the_same_without_libyaml(path):
    """PyYAML without its C library (the fallback loader) stops a plain text at '?' inside [...]: "met (mijn
    )?handen" there made samenvatting.yaml unreadable, so every summary failed on such a machine."""
    text = path.read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.SafeLoader) == yaml.load(text, Loader=yaml.CSafeLoader)
