"""The search page in a real browser, as a person uses it: ``tools/serve.py``
on a free loopback port, Debian's headless Chromium (driven by Playwright,
never a downloaded browser) uploads a query, reads the grid, clicks a
result to search from it, and checks the marks against the index's labels.

Chromium is required, not optional: CI installs it (``.ci/run``)."""
import base64
import os
import os.path as osp
import re
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from ..test_configs import REPO
from .conftest import listed

pytestmark = pytest.mark.slow

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync'
]
TIMEOUT_MS = 60_000


@pytest.fixture(scope='module')
def server(served_files, tmp_path_factory):
    """``tools/serve.py`` in its own process on a free port; its URL."""
    config, checkpoint, index_file, _ = served_files
    log = tmp_path_factory.mktemp('serve') / 'stderr.txt'
    with open(log, 'w') as stderr:
        process = subprocess.Popen([
            sys.executable, 'tools/serve.py', config, checkpoint, index_file,
            '--port', '0', '--device', 'cpu', '--max-results', '50'
        ],
                                   cwd=REPO,
                                   stdout=subprocess.PIPE,
                                   stderr=stderr,
                                   text=True,
                                   env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        url = None
        deadline = time.monotonic() + 300
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            found = re.search(r'search page: (http://127\.0\.0\.1:\d+)/', line)
            url = found and found.group(1)
        assert url, f'tools/serve.py did not start: {log.read_text()[-3000:]}'
        while True:  # bound, not yet listening: wait for it
            try:
                with urllib.request.urlopen(url + '/api/health') as response:
                    assert response.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        process.stdout.close()


@pytest.fixture(scope='module')
def page(server):
    assert osp.exists(CHROMIUM), (
        f'the page test needs Chromium at {CHROMIUM}: apt-get install '
        'chromium (CI installs it)')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=dict(width=1200, height=900))
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def grid(page):
    """(id, rank, distance, mark) of each result card shown."""
    return page.eval_on_selector_all(
        '#results .result', '''cards => cards.map(card => [
            Number(card.dataset.id), Number(card.dataset.rank),
            Number(card.dataset.distance),
            card.classList.contains("right") ? "right" :
            card.classList.contains("wrong") ? "wrong" : null])''')


def wait_for_query(page, text):
    page.wait_for_function(
        'text => document.getElementById("query-name").textContent'
        '.includes(text)',
        arg=text)


def test_upload_see_the_grid_click_a_result_see_the_marks(
        page, server, served_files, index, inferencer):
    root = served_files[3]
    query = listed(root, 'query')[0][0]
    database, labels = listed(root, 'database')
    page.goto(server + '/')
    page.wait_for_function('document.getElementById("model").textContent'
                           '.includes("16-bit codes")')
    assert '32 items' in page.inner_text('#model')

    # Upload: the top 10 as HammingIndex ranks them, unmarked.
    page.set_input_files('#file-input', query)
    wait_for_query(page, 'upload')
    page.wait_for_selector('#results .result')
    found = index.search(inferencer(query, packed=True)['codes'], 10)
    uploaded = grid(page)
    assert uploaded == [[
        int(i), rank, int(d), None
    ] for rank, (i, d) in enumerate(zip(found.ids[0], found.distances[0]), 1)]
    code = inferencer(query, packed=True)['codes'][0]
    assert page.inner_text('#query-code-hex') == code.tobytes().hex()
    assert re.fullmatch(r'([01]{8} ){1}[01]{8}',
                        page.inner_text('#query-code-bits'))
    assert re.search(r'encode [\d.]+ ms .* search [\d.]+ ms',
                     page.inner_text('#timing'))
    assert 'query has no labels' in page.inner_text('#precision')
    page.wait_for_function(
        'Array.from(document.querySelectorAll("#results img"))'
        '.every(i => i.complete)')
    images_loaded = page.eval_on_selector_all(
        '#results .result img', 'imgs => imgs.map(i => i.complete && '
        'i.naturalWidth)')
    assert images_loaded == [32] * 10

    # Click the third result: its neighbours, marked by the labels.
    clicked = grid(page)[2][0]
    page.click(f'#results .result[data-id="{clicked}"]')
    wait_for_query(page, f'item {clicked}')
    page.wait_for_function(
        'document.querySelectorAll("#results .result.right, '
        '#results .result.wrong").length === 10')
    shown = grid(page)
    code = inferencer(database[clicked], packed=True)['codes']
    found = index.search(code, 11).select(0)
    expected = [(int(i), int(d)) for i, d in zip(found.ids, found.distances)
                if i != clicked][:10]
    assert [(i, d) for i, _, d, _ in shown] == expected
    marks = [('right' if (labels[i] & labels[clicked]).any() else 'wrong')
             for i, _ in expected]
    assert [mark for *_, mark in shown] == marks
    assert 'right' in marks and 'wrong' in marks
    assert page.inner_text('#precision') == (
        f'precision@10: {marks.count("right") / 10:.3f} '
        f'({marks.count("right")}/10 right)')
    assert page.inner_text('#query-labels') == ', '.join(
        map(str, np.flatnonzero(labels[clicked])))

    # A radius search from the same item.
    page.check('#mode-radius')
    page.fill('#radius', '4')
    page.dispatch_event('#radius', 'change')
    page.wait_for_function('document.getElementById("found").textContent'
                           '.includes("within Hamming distance 4")')
    (within, ) = index.search_radius(code, 4)
    assert [(i, d) for i, _, d, _ in grid(page)] == [
        (int(i), int(d)) for i, d in zip(within.ids, within.distances)
        if i != clicked
    ]

    # Drag and drop the query file with its labels: the upload's grid
    # again, marked.
    page.check('#mode-k')
    page.dispatch_event('#k', 'change')
    wait_for_query(page, f'item {clicked}')
    with open(query, 'rb') as f:
        data = base64.b64encode(f.read()).decode()
    query_labels = listed(root, 'query')[1][0]
    page.fill('#upload-labels',
              ','.join(map(str, np.flatnonzero(query_labels))))
    page.evaluate(
        '''data => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.png',
                                    {type: 'image/png'}));
        document.getElementById('drop-zone').dispatchEvent(new DragEvent(
            'drop', {dataTransfer: transfer, bubbles: true,
                     cancelable: true}));
    }''', data)
    wait_for_query(page, 'upload dropped.png')
    page.wait_for_selector('#results .result.right, #results .result.wrong')
    right = index.search(inferencer(query, packed=True)['codes'],
                         10).relevant(query_labels[None])[0]
    assert grid(page) == [
        row[:3] + ['right' if mark else 'wrong']
        for row, mark in zip(uploaded, right)
    ]
    assert page.inner_text('#precision').startswith(
        f'precision@10: {right.mean():.3f}')
    page.fill('#upload-labels', '')

    # An item by its id, then failures shown as messages.
    page.check('#mode-k')
    page.fill('#item-id', '99')
    page.click('#item-search')
    page.wait_for_selector('#error.shown')
    assert 'no item with id 99' in page.inner_text('#error')
    notes = osp.join(root, 'notes.txt')
    with open(notes, 'w') as f:
        f.write('not an image')
    page.set_input_files('#file-input', notes)
    page.wait_for_function('document.getElementById("error").textContent'
                           '.includes("not an image of a known format")')
    page.fill('#item-id', '4')
    page.click('#item-search')
    wait_for_query(page, 'item 4')
    assert not page.is_visible('#error')
    assert len(grid(page)) == 10
