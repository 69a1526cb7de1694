"""README's "Layout" map: one line a folder of the package, matching the
tree (every package folder listed, every listed path present)."""
import os
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(ROOT, 'hashnet_mm')


def layout_entries():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    block = re.search(r'## Layout\n\n```\n(.*?)```', text, re.S).group(1)
    lines = block.splitlines()
    assert lines[0] == 'hashnet_mm/'
    entries = []
    for line in lines[1:]:
        match = re.match(r'  (\S+)\s{2,}\S', line)
        if not match:  # the end of the package's part of the map
            break
        entries.append(match.group(1))
    return entries


def package_folders():
    folders = []
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        if '__init__.py' in files and folder != PACKAGE:
            folders.append(osp.relpath(folder, PACKAGE) + '/')
    return folders


def test_every_listed_path_exists():
    for entry in layout_entries():
        assert osp.exists(osp.join(PACKAGE, entry)), entry


def test_every_package_folder_is_on_the_map():
    entries = set(layout_entries())
    for folder in package_folders():
        parent = osp.dirname(folder.rstrip('/')) + '/'
        covered = folder in entries or parent in entries or any(
            entry.startswith(folder) for entry in entries)
        assert covered, f'{folder} is missing from README "Layout"'
