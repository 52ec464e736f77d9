import {ClientError, createClient, pluginBasePath} from 'src/client';

import {makeEscalation, POST_ID, topicsResponse} from 'test/fixtures';
import {scriptFetch} from 'test/harness';

const BASE = '/plugins/community-escalations';

describe('pluginBasePath', () => {
    it.each([
        ['http://mm.example.com', '/plugins/x'],
        ['http://mm.example.com/', '/plugins/x'],
        ['https://example.com/chat', '/chat/plugins/x'],
        ['https://example.com/chat/team//', '/chat/team/plugins/x'],
        ['', '/plugins/x'],
        [undefined, '/plugins/x'],
        ['not a url', '/plugins/x'],
    ])('SiteURL %j -> %s', (siteURL, expected) => {
        expect(pluginBasePath(siteURL, 'x')).toBe(expected);
    });
});

describe('EscalationsClient', () => {
    const client = createClient(BASE);

    it('GETs the topics with the host request options (no CSRF header on GET)', async () => {
        document.cookie = 'MMCSRF=csrf-token-1; path=/';
        const calls = scriptFetch({[`GET ${BASE}/api/v1/topics`]: {status: 200, body: topicsResponse}});
        await expect(client.getTopics()).resolves.toEqual(topicsResponse);
        expect(calls).toHaveLength(1);
        expect(calls[0].headers['X-Requested-With']).toBe('XMLHttpRequest');
        expect(calls[0].headers['X-CSRF-Token']).toBeUndefined();
        const init = vi.mocked(fetch).mock.calls[0][1]!;
        expect(init.credentials).toBe('include');
    });

    it('POSTs an escalation as JSON with the CSRF token from the MMCSRF cookie; 201 = created', async () => {
        document.cookie = 'MMCSRF=csrf-token-1; path=/';
        const escalation = makeEscalation();
        const calls = scriptFetch({[`POST ${BASE}/api/v1/escalations`]: {status: 201, body: escalation}});
        const result = await client.createEscalation({post_id: POST_ID, topic: 'privacy-telemetry', note: 'hi'});
        expect(result).toEqual({escalation, created: true});
        expect(calls[0].method).toBe('POST');
        expect(calls[0].headers['Content-Type']).toBe('application/json');
        expect(calls[0].headers['X-CSRF-Token']).toBe('csrf-token-1');
        expect(calls[0].body).toEqual({post_id: POST_ID, topic: 'privacy-telemetry', note: 'hi'});
    });

    it('sends the post\'s channel when the caller knows it', async () => {
        const calls = scriptFetch({[`POST ${BASE}/api/v1/escalations`]: {status: 201, body: makeEscalation()}});
        await client.createEscalation({post_id: POST_ID, topic: 'licensing', channel_id: 'c'.repeat(26)});
        expect(calls[0].body).toEqual({post_id: POST_ID, topic: 'licensing', channel_id: 'c'.repeat(26)});
    });

    it('omits an empty note; 200 = already escalated', async () => {
        const calls = scriptFetch({[`POST ${BASE}/api/v1/escalations`]: {status: 200, body: makeEscalation()}});
        const result = await client.createEscalation({post_id: POST_ID, topic: 'privacy-telemetry', note: ''});
        expect(result.created).toBe(false);
        expect(calls[0].body).toEqual({post_id: POST_ID, topic: 'privacy-telemetry'});
    });

    it('GETs one escalation by id', async () => {
        const escalation = makeEscalation({id: 'a/b'});
        scriptFetch({[`GET ${BASE}/api/v1/escalations/a%2Fb`]: {status: 200, body: escalation}});
        await expect(client.getEscalation('a/b')).resolves.toEqual(escalation);
    });

    it('throws the server error message verbatim with its status', async () => {
        scriptFetch({[`POST ${BASE}/api/v1/escalations`]: {status: 409, body: {error: 'The plugin is not configured yet: ask a System Admin to set the escalations team.'}}});
        const err = await client.createEscalation({post_id: POST_ID, topic: 't'}).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ClientError);
        expect(err).toMatchObject({status: 409, message: 'The plugin is not configured yet: ask a System Admin to set the escalations team.'});
    });

    it('throws with an empty message when the error body is not our JSON', async () => {
        scriptFetch({[`GET ${BASE}/api/v1/topics`]: {status: 502, raw: '<html>Bad gateway</html>'}});
        await expect(client.getTopics()).rejects.toMatchObject({status: 502, message: ''});
    });

    it('throws status 0 when the server cannot be reached', async () => {
        scriptFetch({[`GET ${BASE}/api/v1/topics`]: new TypeError('Failed to fetch')});
        await expect(client.getTopics()).rejects.toMatchObject({status: 0, message: ''});
    });

    it('throws status 0 for a success body of the wrong shape', async () => {
        scriptFetch({[`GET ${BASE}/api/v1/topics`]: {status: 200, body: {topics: 'nope'}}});
        await expect(client.getTopics()).rejects.toBeInstanceOf(ClientError);
    });
});
