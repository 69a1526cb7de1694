"""The JSON API through FastAPI's test client: searches equal
HammingIndex's, marks follow the index's labels, and every bad request is
refused with a message (traversal, limits, non-images, bad fields)."""
import base64
import io
import re
import subprocess
import sys

import numpy as np
import pytest
from fastapi.testclient import TestClient
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmpretrain.apis import get_model
from PIL import Image

from hashnet_mm.apis import HashInferencer
from hashnet_mm.search import HammingIndex, pack_codes
from hashnet_mm.serving import SearchService, create_app
from ..test_configs import REPO
from ..test_images import bomb_png
from .conftest import MAX_UPLOAD_BYTES, listed


@pytest.fixture(scope='module')
def client(service):
    with TestClient(create_app(service)) as client:
        yield client


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def expected_results(index, code, scope, exclude=None, limit=None):
    """(id, distance, path, labels) of HammingIndex's own search."""
    kind, value = scope
    if kind == 'k':
        found = index.search(code,
                             value + (exclude is not None)).select(0).found()
    else:
        (found, ) = index.search_radius(code, value)
    rows = [(int(i), int(d), p, np.flatnonzero(l).tolist())
            for i, d, p, l in zip(*found) if i != exclude]
    return rows[:value] if kind == 'k' else rows[:limit]


def answered(response):
    assert response.status_code == 200, response.text
    return response.json()


def test_health_names_the_model_the_code_length_and_the_index_size(
        client, served_files):
    health = answered(client.get('/api/health'))
    assert health['status'] == 'ok'
    assert health['config'] == served_files[0]
    assert health['checkpoint'] == served_files[1]
    assert (health['num_bits'], health['index_size'], health['index_kind'],
            health['num_classes']) == (16, 32, 'flat', 4)
    assert health['max_upload_bytes'] == MAX_UPLOAD_BYTES


def test_the_page_is_served(client):
    response = client.get('/')
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('text/html')
    assert '<title>hashnet_mm search</title>' in response.text


@pytest.mark.parametrize('scope', [('k', 5), ('k', 20), ('radius', 6)])
def test_upload_search_equals_the_index_search(client, served_files, index,
                                               inferencer, scope):
    root = served_files[3]
    queries, _ = listed(root, 'query')
    for path in queries[:4]:
        code = inferencer(path, packed=True)['codes']
        answer = answered(
            client.post(
                '/api/search',
                files={'image': ('q.png', read(path))},
                data={scope[0]: str(scope[1])}))
        expected = expected_results(index, code, scope, limit=20)
        assert [(r['id'], r['distance'], r['path'], r['labels'])
                for r in answer['results']] == expected
        assert [r['rank'] for r in answer['results']] == \
            list(range(1, len(expected) + 1))
        assert all(r['image_url'] == f"/api/items/{r['id']}/image"
                   for r in answer['results'])
        assert answer['search'] == {scope[0]: scope[1]}
        assert answer['query']['type'] == 'upload'
        assert answer['query']['name'] == 'q.png'
        assert answer['query']['code']['hex'] == code[0].tobytes().hex()
        bits = np.unpackbits(code[0], bitorder='little')[:16]
        assert answer['query']['code']['bits'] == ''.join(map(str, bits))
        # An upload without labels is not marked.
        assert not answer['marked'] and answer['precision'] is None
        assert all('right' not in r for r in answer['results'])
        assert set(answer['timing_ms']) == {'encode', 'search', 'total'}


def test_a_radius_that_finds_more_than_the_limit_says_so(
        client, index, served_files):
    path = listed(served_files[3], 'query')[0][0]
    answer = answered(
        client.post(
            '/api/search',
            files={'image': ('q.png', read(path))},
            data={'radius': '16'}))
    assert answer['found'] == 32 and answer['truncated']
    assert len(answer['results']) == 20


def test_upload_with_labels_is_marked_and_scored(client, served_files, index,
                                                 inferencer):
    queries, labels = listed(served_files[3], 'query')
    counts = []
    for path, row in zip(queries, labels):
        code = inferencer(path, packed=True)['codes']
        answer = answered(
            client.post(
                '/api/search',
                files={'image': ('q.png', read(path))},
                data={
                    'k': '8',
                    'labels': ','.join(map(str, np.flatnonzero(row)))
                }))
        right = index.search(code, 8).relevant(row[None])[0]
        assert answer['marked'] and answer['query']['labels'] == \
            np.flatnonzero(row).tolist()
        assert [r['right'] for r in answer['results']] == right.tolist()
        assert answer['precision'] == pytest.approx(right.mean())
        counts.append(int(right.sum()))
    assert any(0 < count < 8 for count in counts), counts


def test_item_query_leaves_the_item_out_and_is_marked_by_its_labels(
        client, served_files, index, inferencer):
    paths, labels = listed(served_files[3], 'database')
    for item in (0, 5, 31):
        code = inferencer(paths[item], packed=True)['codes']
        answer = answered(
            client.post('/api/search', json={
                'id': item,
                'k': 6
            }))
        expected = expected_results(index, code, ('k', 6), exclude=item)
        assert [(r['id'], r['distance'], r['path'], r['labels'])
                for r in answer['results']] == expected
        assert answer['query'] == dict(
            type='item',
            id=item,
            path=paths[item],
            labels=np.flatnonzero(labels[item]).tolist(),
            image_url=f'/api/items/{item}/image',
            code=answer['query']['code'])
        assert answer['query']['code']['hex'] == code[0].tobytes().hex()
        marks = [
            bool((labels[r['id']] & labels[item]).any())
            for r in answer['results']
        ]
        assert [r['right'] for r in answer['results']] == marks
        assert answer['precision'] == pytest.approx(np.mean(marks))
        assert answer['warnings'] == []
        # The same by a form field, and by radius.
        form = answered(
            client.post('/api/search', data={
                'id': str(item),
                'k': '6'
            }))
        assert form['results'] == answer['results']
        radius = answered(
            client.post('/api/search', json={
                'id': item,
                'radius': 5
            }))
        assert [(r['id'], r['distance'], r['path'], r['labels'])
                for r in radius['results']] == expected_results(
                    index, code, ('radius', 5), exclude=item, limit=20)


def test_json_base64_upload_equals_the_form_upload(client, served_files):
    path = listed(served_files[3], 'query')[0][2]
    form = answered(
        client.post('/api/search', files={'image': ('q.png', read(path))}))
    as_json = answered(
        client.post(
            '/api/search',
            json={
                'image_base64': base64.b64encode(read(path)).decode(),
                'name': 'q.png'
            }))
    assert as_json['results'] == form['results']
    assert form['search'] == {'k': 10} and len(form['results']) == 10


def test_items_and_their_images(client, served_files):
    paths, labels = listed(served_files[3], 'database')
    item = answered(client.get('/api/items/7'))
    assert item == dict(
        id=7,
        path=paths[7],
        labels=np.flatnonzero(labels[7]).tolist(),
        image_url='/api/items/7/image')
    response = client.get('/api/items/7/image')
    assert response.status_code == 200
    assert response.headers['content-type'] == 'image/png'
    assert response.headers['x-content-type-options'] == 'nosniff'
    assert response.headers['cache-control'] == 'no-store'
    assert response.content == read(paths[7])


@pytest.mark.parametrize(
    'url',
    [
        '/api/items/../../etc/passwd/image',
        '/api/items/..%2F..%2F..%2Fetc%2Fpasswd/image',
        '/api/items/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd/image',
        '/api/items/%252e%252e%252fetc%252fpasswd/image',
        '/api/items/%2Fetc%2Fpasswd/image',
        '/api/items//etc/passwd/image',
        '/api/items/..%5C..%5Cetc%5Cpasswd/image',
        '/api/items/-1/image',
        '/api/items/1e3/image',
        '/api/items/0x1/image',
        '/api/items/%EF%BC%91/image',  # a full-width digit one
        '/api/items/32/image',
        '/static/../../../etc/passwd',
        '/..%2F..%2F..%2Fetc%2Fpasswd',
        '/etc/passwd',
    ])
def test_no_client_path_reaches_the_disk(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404), (url, response.status_code)
    assert b'root:' not in response.content
    assert 'error' in response.json()


def test_a_path_parameter_is_ignored(client, served_files):
    paths, _ = listed(served_files[3], 'database')
    response = client.get('/api/items/0/image', params={'path': '/etc/passwd'})
    assert response.content == read(paths[0])


@pytest.mark.parametrize('request_kwargs, status, message', [
    (dict(json={'id': '../../etc/passwd'}), 400, 'an item id is an integer'),
    (dict(json={'id': '/etc/passwd'}), 400, 'an item id is an integer'),
    (dict(data={'id': '../../etc/passwd'}), 400, 'an item id is an integer'),
    (dict(json={'path': '/etc/passwd'}), 400, r"unknown fields \['path'\]"),
    (dict(json={'id': 99}), 404, 'no item with id 99'),
    (dict(json={'id': 1.5}), 400, 'an item id is an integer'),
    (dict(json={'id': True}), 400, 'an item id is an integer'),
    (dict(json={}), 400, 'needs an image upload .* or the id'),
    (dict(json=[1, 2]), 400, 'must be an object'),
    (dict(content=b'{"id": ', headers={'content-type': 'application/json'
                                       }), 400, 'not valid JSON'),
    (dict(content=b'id=1', headers={'content-type': 'text/plain'
                                    }), 400, 'multipart form .* or JSON'),
    (dict(json={
        'id': 1,
        'k': 0
    }), 400, 'k must be an integer from 1 to 20'),
    (dict(json={
        'id': 1,
        'k': 21
    }), 400, 'k must be an integer from 1 to 20'),
    (dict(json={
        'id': 1,
        'k': 'ten'
    }), 400, "from 1 to 20, got 'ten'"),
    (dict(json={
        'id': 1,
        'k': 2.5
    }), 400, 'from 1 to 20, got 2.5'),
    (dict(data={
        'id': '1',
        'k': '1_0'
    }), 400, "from 1 to 20, got '1_0'"),
    (dict(data={
        'id': '1',
        'radius': '17'
    }), 400, 'radius must be an integer from 0 to 16'),
    (dict(data={
        'id': '1',
        'radius': '-1'
    }), 400, 'radius must be'),
    (dict(json={
        'id': 1,
        'k': 5,
        'radius': 2
    }), 400, 'not both'),
    (dict(json={
        'id': 1,
        'labels': [0]
    }), 400, 'labels go with an upload'),
    (dict(json={'image_base64': 'not base64!'}), 400, 'not base64'),
    (dict(files={'image': ('a.png', b'')}), 400, 'is empty'),
    (dict(files={'image': ('a.png', b'x')}, data={'labels': '4'}), 400,
     'a label must be an integer from 0 to 3'),
    (dict(files={'image': ('notes.txt', b'hello, not an image')}), 415,
     "the upload 'notes.txt': not an image of a known format"),
    (dict(files={'image': ('x.png', b'\x89PNG\r\n\x1a\n' + b'\0' * 40)}), 415,
     'not an image of a known format'),
    (dict(files={'image': ('bomb.png', bomb_png(1000, 1000))}), 413,
     r'1000 x 1000 = 1,000,000 pixels is more than the limit of 262,144'),
    (dict(files={'image': ('bomb.png', bomb_png(30000, 30000))}), 413,
     r'900,?000,?000 pixels'),
    (dict(files={'image': ('big.png', b'\0' * (MAX_UPLOAD_BYTES + 1))}), 413,
     'more than the limit of 200,000 bytes'),
])
def test_bad_searches_are_refused_with_a_message(client, request_kwargs,
                                                 status, message):
    response = client.post('/api/search', **request_kwargs)
    assert response.status_code == status, response.text
    error = response.json()['error']
    assert re.search(message, error), error


def test_a_request_over_the_limit_is_cut_off_while_it_streams(client):
    """No Content-Length (chunked): counted as it arrives."""

    def chunks():
        for _ in range(40):
            yield b'\0' * 10_000

    response = client.post(
        '/api/search',
        content=chunks(),
        headers={'content-type': 'application/json'})
    assert response.status_code == 413
    assert 'more than the limit' in response.json()['error']
    declared = client.post(
        '/api/search',
        content=b'\0' * 400_000,
        headers={'content-type': 'application/json'})
    assert declared.status_code == 413
    assert 'the request is 400,000 bytes' in declared.json()['error']


def test_an_upload_in_another_format_or_size_is_encoded_as_the_model_reads(
        client, served_files, inferencer):
    """A JPEG at another size: the answer is the search of the code the
    model gives the same decoded image."""
    path = listed(served_files[3], 'query')[0][0]
    buffer = io.BytesIO()
    Image.open(path).convert('RGB').resize((48, 40)).save(buffer, 'JPEG')
    answer = answered(
        client.post(
            '/api/search', files={'image': ('q.jpg', buffer.getvalue())}))
    code = inferencer(buffer.getvalue(), packed=True)['codes']
    assert answer['query']['code']['hex'] == code[0].tobytes().hex()


def test_a_grey_model_takes_a_colour_upload(tmp_path, served_files):
    """A model whose pipeline reads grey (1 channel): a colour upload is
    searched as its grey version, the code the model gives its file."""
    config, _, _, root = served_files
    cfg = Config.fromfile(config)
    cfg.model.backbone.in_channels = 1
    cfg.model.data_preprocessor = dict(
        cfg.model.get('data_preprocessor') or {}, mean=[128.], std=[64.])
    for split in ('query', 'database'):
        cfg.test_dataloader.dataset[split].pipeline = [
            dict(type='LoadImageFromFile', color_type='grayscale'),
            dict(type='PackInputs')
        ]
    model = get_model(cfg)
    model.init_weights()
    checkpoint = str(tmp_path / 'grey.pth')
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    paths, labels = listed(root, 'database')
    grey = HashInferencer(cfg, checkpoint, 'cpu')
    index = HammingIndex(16)
    index.add(grey(paths, packed=True)['codes'], paths=paths, labels=labels)
    index.save(str(tmp_path / 'grey.index'))
    service = SearchService.from_files(cfg, checkpoint,
                                       str(tmp_path / 'grey.index'), 'cpu')
    query = listed(root, 'query')[0][3]
    assert Image.open(query).mode == 'RGB'
    with TestClient(create_app(service)) as client:
        answer = answered(
            client.post(
                '/api/search',
                files={'image': ('q.png', read(query))},
                data={'k': '5'}))
    code = grey(query, packed=True)['codes']
    assert answer['query']['code']['hex'] == code[0].tobytes().hex()
    assert [(r['id'], r['distance']) for r in answer['results']
            ] == [(int(i), int(d)) for i, d in zip(*index.search(code, 5)[:2])
                  for i, d in zip(i, d)]


def test_an_index_without_paths_serves_uploads_and_says_why_items_fail(
        tmp_path, served_files, inferencer):
    config, checkpoint, _, root = served_files
    paths, _ = listed(root, 'database')
    codes = inferencer(paths, packed=True)['codes']
    bare = HammingIndex(16)
    bare.add(codes)
    bare.save(str(tmp_path / 'bare.index'))
    service = SearchService.from_files(config, checkpoint,
                                       str(tmp_path / 'bare.index'), 'cpu')
    with TestClient(create_app(service)) as client:
        assert answered(client.get('/api/health'))['num_classes'] is None
        answer = answered(
            client.post(
                '/api/search',
                files={'image': ('q.png', read(paths[3]))},
                data={'k': '3'}))
        assert [r['path'] for r in answer['results']] == [None] * 3
        assert [r['image_url'] for r in answer['results']] == [None] * 3
        assert not answer['marked']
        for response in (client.get('/api/items/3/image'),
                         client.post('/api/search', json={'id': 3})):
            assert response.status_code == 404
            assert 'stores no image paths' in response.json()['error']
        labelled = client.post(
            '/api/search',
            files={'image': ('q.png', read(paths[3]))},
            data={'labels': '1'})
        assert labelled.status_code == 400
        assert 'the index holds no labels' in labelled.json()['error']


def test_a_missing_item_image_and_a_changed_model_are_reported(
        tmp_path, served_files, inferencer):
    """An index whose paths point to a missing file and to an image whose
    code is not the stored one."""
    config, checkpoint, _, root = served_files
    paths, _ = listed(root, 'database')
    index = HammingIndex(16)
    codes = inferencer(paths[:2], packed=True)['codes']
    index.add(codes, paths=[paths[0], str(tmp_path / 'gone.png')])
    index.add(pack_codes(-np.ones((1, 16))), paths=[paths[0]])
    (tmp_path / 'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n broken')
    index.add(codes[:1], paths=[str(tmp_path / 'corrupt.png')])
    index.save(str(tmp_path / 'odd.index'))
    service = SearchService.from_files(config, checkpoint,
                                       str(tmp_path / 'odd.index'), 'cpu')
    with TestClient(create_app(service)) as client:
        gone = client.post('/api/search', json={'id': 1})
        assert gone.status_code == 404
        assert 'the image of item 1 is not on the server' in \
            gone.json()['error']
        assert client.get('/api/items/1/image').status_code == 404
        corrupt = client.post('/api/search', json={'id': 3})
        assert corrupt.status_code == 500
        assert 'the image of item 3 cannot be read' in \
            corrupt.json()['error']
        if (codes[0] != pack_codes(-np.ones((1, 16)))[0]).any():
            answer = answered(client.post('/api/search', json={'id': 2}))
            assert "differs from the code the index holds" in \
                answer['warnings'][0]


def test_a_model_and_index_of_different_lengths_are_refused(
        served_files, tmp_path):
    config, checkpoint, _, _ = served_files
    wide = HammingIndex(32)
    wide.save(str(tmp_path / 'wide.index'))
    with pytest.raises(
            ValueError,
            match='the model makes 16-bit codes but '
            'the index holds 32-bit codes'):
        SearchService.from_files(config, checkpoint,
                                 str(tmp_path / 'wide.index'), 'cpu')


@pytest.mark.slow
def test_the_server_stack_is_an_extra():
    """Without FastAPI the app names the extra; ``import hashnet_mm`` and
    the service load no server module."""
    code = ('import sys; sys.modules["fastapi"] = None\n'
            'import hashnet_mm.serving\n'
            'try:\n    import hashnet_mm.serving.app\n'
            'except ImportError as e:\n    print(e)\n')
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                            capture_output=True,
                            text=True,
                            cwd=REPO)
    assert result.stdout.strip() == (
        'The search server (hashnet_mm.serving) needs fastapi, which is not '
        "installed: pip install 'hashnet_mm[serve]'"), result.stderr[-2000:]
    code = ('import sys, hashnet_mm, hashnet_mm.apis; print(*[m for m in '
            '("fastapi", "uvicorn", "starlette", "multipart") '
            'if m in sys.modules])')
    result = subprocess.run([sys.executable, '-W', 'ignore', '-c', code],
                            capture_output=True,
                            text=True,
                            cwd=REPO)
    assert result.returncode == 0 and result.stdout.strip() == '', \
        result.stdout + result.stderr[-2000:]


def test_an_image_browsers_do_not_show_is_sent_as_png(tmp_path, served_files,
                                                      inferencer):
    config, checkpoint, _, root = served_files
    path = listed(root, 'database')[0][0]
    tiff = str(tmp_path / 'item.tif')
    Image.open(path).save(tiff)
    index = HammingIndex(16)
    index.add(inferencer(tiff, packed=True)['codes'], paths=[tiff])
    index.save(str(tmp_path / 'tif.index'))
    service = SearchService.from_files(config, checkpoint,
                                       str(tmp_path / 'tif.index'), 'cpu')
    with TestClient(create_app(service)) as client:
        response = client.get('/api/items/0/image')
    assert response.status_code == 200
    assert response.headers['content-type'] == 'image/png'
    shown = np.asarray(Image.open(io.BytesIO(response.content)))
    np.testing.assert_array_equal(shown, np.asarray(Image.open(path)))
