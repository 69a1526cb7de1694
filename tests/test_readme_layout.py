"""README.md is the front page: short, and every relative link in it leads
to a file of the repository (the documentation pages above all)."""
import os
import os.path as osp
import re

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MAX_LINES = 230


def readme():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return f.read()


def link_targets(text):
    """Targets of Markdown links and images, outside code blocks and
    inline code."""
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    text = re.sub(r'`[^`\n]*`', '', text)
    return re.findall(r'\]\(([^)\s]+)(?:\s+"[^"]*")?\)', text)


def test_readme_is_a_front_page():
    lines = readme().splitlines()
    assert len(lines) <= MAX_LINES, (
        f'README.md has {len(lines)} lines; the front page keeps to '
        f'{MAX_LINES} (the topics live in docs/en)')


def test_every_relative_link_exists():
    targets = link_targets(readme())
    relative = [
        t for t in targets
        if not re.match(r'[a-z][a-z0-9+.-]*:', t) and not t.startswith('#')
    ]
    assert relative, 'README.md links to no documentation page'
    missing = [
        t for t in relative if not osp.exists(osp.join(ROOT,
                                                       t.split('#')[0]))
    ]
    assert not missing, f'README.md links to missing files: {missing}'


def test_every_docs_page_is_one_click_away():
    targets = {osp.normpath(t.split('#')[0]) for t in link_targets(readme())}
    pages = []
    for folder, _, files in os.walk(osp.join(ROOT, 'docs', 'en')):
        if '_build' in folder:
            continue
        pages += [
            osp.relpath(osp.join(folder, f), ROOT) for f in files
            if f.endswith('.md')
        ]
    # The benchmark pages are one click from their index, which README
    # links; every other page is linked from README itself.
    missing = [
        p for p in pages if p not in targets
        and not p.startswith(osp.join('docs', 'en', 'benchmarks'))
    ]
    assert not missing, f'pages README.md does not link: {missing}'
