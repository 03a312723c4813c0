// cdc-hub live page: connects to the gateway's /ws/stream, subscribes to topics and shows the changes
// as they arrive. Plain browser JavaScript, no build step. Every value from the server is put in the
// page as text (textContent), never as HTML.
'use strict';

(() => {
    const MAX_ROWS = 1000; // oldest rows are dropped beyond this, so a busy topic cannot grow the page forever

    const $ = (id) => document.getElementById(id);
    const ui = {
        state: $('state'),
        connectForm: $('connect-form'),
        token: $('token'),
        connect: $('connect'),
        disconnect: $('disconnect'),
        subscribeForm: $('subscribe-form'),
        topics: $('topics'),
        topicHistory: $('topic-history'),
        rowFilter: $('row-filter'),
        ops: $('ops'),
        subscribe: $('subscribe'),
        caption: $('caption'),
        subscriptions: $('subscriptions'),
        errors: $('errors'),
        filter: $('filter'),
        counts: $('counts'),
        clear: $('clear'),
        rows: document.querySelector('#changes tbody'),
    };

    let socket = null;
    let opened = false;
    let received = 0;
    // requested name (topic or alias) -> Kafka topic, as the gateway confirmed it
    const subscribed = new Map();
    // what to subscribe to again after a dropped connection, resuming from the last position received
    let subscribes = [];
    let position = null;
    let retryTimer = null;
    let retryDelay = 1000;

    // Explanations of the close codes the gateway uses (RFC 6455 numbers).
    const CLOSE_REASONS = {
        1000: 'closed normally',
        1001: 'the server is going away (restart or shutdown)',
        1006: 'the connection dropped without a close frame',
        1008: 'closed for a policy violation (repeated bad requests or a forbidden action)',
        1011: 'the server failed',
        1013: 'closed because this page fell too far behind (lagging), or the server was busy; connect again',
        4001: 'the token has expired: enter a new one and connect again',
        4002: 'the connection reached the server\'s maximum session time; connect again',
    };

    function setState(state, text) {
        ui.state.dataset.state = state;
        ui.state.textContent = text || state;
        const connected = state === 'connected';
        ui.connect.disabled = connected || state === 'connecting';
        ui.disconnect.disabled = !(connected || state === 'connecting');
        ui.subscribe.disabled = !connected;
    }

    function showError(text) {
        const item = document.createElement('li');
        item.textContent = `${clock(new Date())} ${text}`;
        ui.errors.prepend(item);
        while (ui.errors.children.length > 20) {
            ui.errors.lastElementChild.remove();
        }
    }

    function clock(date) {
        return date.toLocaleTimeString(undefined, {hour12: false}) + '.' + String(date.getMilliseconds()).padStart(3, '0');
    }

    function streamUrl() {
        // relative to /live/, so a path prefix in front of the app is kept
        const url = new URL('../ws/stream', window.location.href);
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        url.search = '';
        url.hash = '';
        return url;
    }

    // Browsers cannot set an Authorization header on a WebSocket: the token goes in the Sec-WebSocket-Protocol
    // header as the subprotocol "bearer.<JWT>" next to "cdc-hub" (which the gateway picks), never in the URL
    function protocols(token) {
        return token ? ['cdc-hub', 'bearer.' + token] : [];
    }

    /** A fresh connection (the Connect button), or with resuming=true one that picks up where a dropped one stopped. */
    function connect(resuming) {
        disconnect();
        if (!resuming) {
            subscribes = [];
            position = null;
        }
        const ws = new WebSocket(streamUrl(), protocols(ui.token.value.trim()));
        socket = ws;
        opened = false;
        subscribed.clear();
        renderSubscriptions();
        setState('connecting', resuming ? 'reconnecting…' : 'connecting…');
        ws.addEventListener('open', () => {
            if (socket !== ws) return;
            opened = true;
            retryDelay = 1000;
            setState('connected');
            if (resuming && subscribes.length > 0) {
                // one position covers every topic of the connection: no gap, no duplicate
                subscribes.forEach((message) => send(position ? {...message, resume: position} : message));
            } else if (ui.topics.value.trim()) {
                subscribe();
            }
        });
        ws.addEventListener('message', (event) => {
            if (socket === ws) onFrame(event.data);
        });
        ws.addEventListener('close', (event) => {
            if (socket !== ws) return;
            socket = null;
            subscribed.clear();
            renderSubscriptions();
            if (!opened && !resuming) {
                // The gateway answers a missing, expired or invalid token with HTTP 401 (and a full server with
                // 503) before the upgrade; browsers do not tell a page the status, only that the connection failed.
                showError('could not connect: the server refused the connection (missing, expired or invalid token?) or is unreachable');
                setState('disconnected', 'refused');
                return;
            }
            const why = opened ? (CLOSE_REASONS[event.code] || 'closed') : 'the server is unreachable or refused the connection';
            const text = opened ? `closed (${event.code}${event.reason ? ': ' + event.reason : ''})` : 'reconnect failed';
            if (event.code !== 1000) {
                showError(`${text}: ${why}`);
            }
            if (event.code === 1000 || event.code === 1008 || event.code === 4001 || subscribes.length === 0) {
                setState('disconnected', text);
                return;
            }
            // dropped, restarted or lagging: reconnect and resume, backing off up to 30 s
            const delay = retryDelay;
            retryDelay = Math.min(retryDelay * 2, 30000);
            setState('connecting', `${text}; reconnecting in ${Math.round(delay / 1000)} s`);
            retryTimer = setTimeout(() => {
                retryTimer = null;
                connect(true);
            }, delay);
        });
    }

    function disconnect() {
        if (retryTimer) {
            clearTimeout(retryTimer);
            retryTimer = null;
            setState('disconnected');
        }
        if (socket) {
            const ws = socket;
            socket = null;
            ws.close(1000, 'closed by the user');
            subscribed.clear();
            renderSubscriptions();
            setState('disconnected');
        }
    }

    function send(message) {
        if (socket && socket.readyState === WebSocket.OPEN) {
            socket.send(JSON.stringify(message));
        } else {
            showError('not connected');
        }
    }

    // "status=paid,shipped; region=eu" -> {"status": ["paid", "shipped"], "region": ["eu"]}
    function parseRowFilter(text) {
        const filter = {};
        for (const part of text.split(';')) {
            if (!part.trim()) continue;
            const eq = part.indexOf('=');
            if (eq <= 0) {
                throw new Error(`row filter "${part.trim()}" is not column=value[,value...]`);
            }
            filter[part.slice(0, eq).trim()] = part.slice(eq + 1).split(',').map((v) => v.trim());
        }
        return filter;
    }

    function subscribe() {
        const topics = ui.topics.value.split(/[\s,]+/).filter(Boolean);
        if (topics.length === 0) {
            showError('name at least one topic or alias');
            return;
        }
        const message = {action: 'subscribe', topics};
        try {
            const filter = parseRowFilter(ui.rowFilter.value);
            if (Object.keys(filter).length > 0) message.filter = filter;
        } catch (e) {
            showError(e.message);
            return;
        }
        const ops = [...ui.ops.querySelectorAll('input:checked')].map((box) => box.value);
        if (ops.length > 0) message.ops = ops;
        send(message);
        subscribes.push(message);
        rememberTopics(topics);
    }

    function unsubscribe(name) {
        send({action: 'unsubscribe', topics: [name]});
        // not again after a reconnect either
        const topic = subscribed.get(name);
        subscribes = subscribes
            .map((message) => ({...message, topics: message.topics.filter((t) => t !== name && t !== topic)}))
            .filter((message) => message.topics.length > 0);
    }

    function rememberTopics(topics) {
        const known = new Set([...ui.topicHistory.options].map((o) => o.value));
        for (const topic of topics) {
            if (!known.has(topic)) {
                const option = document.createElement('option');
                option.value = topic;
                ui.topicHistory.append(option);
            }
        }
    }

    function topicsOf(frame) {
        if (Array.isArray(frame.topics)) return frame.topics;
        if (typeof frame.topic === 'string') return [frame.topic];
        return [];
    }

    function onFrame(data) {
        let frame;
        try {
            frame = JSON.parse(data);
        } catch (e) {
            showError('the server sent something that is not JSON');
            return;
        }
        if (frame === null || typeof frame !== 'object') return;
        switch (frame.type) {
            case 'subscribed':
                topicsOf(frame).forEach((name) => subscribed.set(name, frame.kafkaTopics?.[name] ?? name));
                renderSubscriptions();
                return;
            case 'unsubscribed': {
                // the gateway names the Kafka topics it dropped; the list shows what was asked for (maybe an alias)
                const gone = new Set(topicsOf(frame));
                for (const [name, topic] of [...subscribed]) {
                    if (gone.has(name) || gone.has(topic)) subscribed.delete(name);
                }
                renderSubscriptions();
                return;
            }
            case 'pong':
                return;
            case 'error':
                showError(`error${frame.code !== undefined ? ' ' + frame.code : ''}: ${frame.message ?? ''}`);
                return;
            case 'lagging':
                showError(`lagging: ${frame.message ?? 'this page could not keep up with the stream'}`);
                return;
            default:
                if (typeof frame.topic === 'string' && 'value' in frame) {
                    addChange(frame);
                }
        }
    }

    function renderSubscriptions() {
        ui.subscriptions.replaceChildren(...[...subscribed.keys()].sort().map((name) => {
            const topic = subscribed.get(name);
            const item = document.createElement('li');
            item.dataset.name = name;
            item.dataset.topic = topic;
            const label = document.createElement('span');
            label.textContent = name === topic ? name : `${name} → ${topic}`;
            const remove = document.createElement('button');
            remove.type = 'button';
            remove.textContent = '×';
            remove.title = `unsubscribe from ${name}`;
            remove.addEventListener('click', () => unsubscribe(name));
            item.append(label, remove);
            return item;
        }));
    }

    function cell(text, className) {
        const td = document.createElement('td');
        td.textContent = text;
        if (className) td.className = className;
        return td;
    }

    function addChange(message) {
        const value = message.value;
        const tombstone = value === null || value === undefined;
        const op = tombstone ? 'tombstone' : (value.op ?? '');
        // a delete's row is its before image; everything else shows the row after the change
        const row = tombstone ? null : (value.after ?? value.before ?? null);
        const arrived = new Date();

        const tr = document.createElement('tr');
        tr.dataset.topic = message.topic;
        tr.dataset.op = op;
        tr.dataset.key = JSON.stringify(message.key ?? null);
        if (typeof message.position === 'string') {
            tr.dataset.position = message.position;
            position = message.position;
        }
        const committed = tombstone ? undefined : (value.source?.ts_ms ?? value.ts_ms);
        if (typeof committed === 'number') {
            tr.title = `committed ${new Date(committed).toISOString()}, shown ${arrived.getTime() - committed} ms later`;
        }

        const rowCell = document.createElement('td');
        rowCell.className = 'row';
        if (row && typeof row === 'object') {
            for (const [name, field] of Object.entries(row)) {
                const span = document.createElement('span');
                span.className = 'field';
                span.dataset.field = name;
                const label = document.createElement('b');
                label.textContent = `${name}:`;
                span.append(label, document.createTextNode(typeof field === 'string' ? field : JSON.stringify(field)));
                rowCell.append(span);
            }
        } else {
            rowCell.textContent = tombstone ? '(tombstone: the key is deleted)' : '';
        }
        tr.append(
            cell(clock(arrived), 'time'),
            cell(message.topic, 'topic'),
            cell(op, `op op-${op}`),
            cell(keyText(message.key), 'key'),
            rowCell);
        // what the filter box searches: every cell and field, with spaces between them
        const words = [...tr.children].map((td) => td.className === 'row'
            ? [...td.children].map((span) => span.textContent).join(' ') || td.textContent
            : td.textContent);
        tr.dataset.search = words.join(' ').toLowerCase();
        tr.hidden = !matches(tr, filterWords());
        ui.rows.prepend(tr);
        received++;
        while (ui.rows.children.length > MAX_ROWS) {
            ui.rows.lastElementChild.remove();
        }
        renderCounts();
    }

    function keyText(key) {
        if (key && typeof key === 'object' && !Array.isArray(key)) {
            return Object.entries(key).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
        }
        return key === undefined ? '' : JSON.stringify(key);
    }

    function filterWords() {
        return ui.filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    }

    function matches(tr, words) {
        return words.every((word) => tr.dataset.search.includes(word));
    }

    function applyFilter() {
        const words = filterWords();
        for (const tr of ui.rows.children) {
            tr.hidden = !matches(tr, words);
        }
        renderCounts();
    }

    function renderCounts() {
        const kept = ui.rows.children.length;
        const shown = [...ui.rows.children].filter((tr) => !tr.hidden).length;
        let text = `${shown} of ${kept} changes shown`;
        if (received > kept) text += ` (${received - kept} older dropped)`;
        ui.counts.textContent = text;
    }

    ui.connectForm.addEventListener('submit', (event) => {
        event.preventDefault();
        connect(false);
    });
    ui.disconnect.addEventListener('click', () => {
        disconnect();
        subscribes = [];
        ui.caption.hidden = true;
    });
    ui.subscribeForm.addEventListener('submit', (event) => {
        event.preventDefault();
        subscribe();
    });
    ui.filter.addEventListener('input', applyFilter);
    ui.clear.addEventListener('click', () => {
        ui.rows.replaceChildren();
        received = 0;
        renderCounts();
    });

    // ?topics=a,b&filter=... and #token=... fill the form; with a topic given the page connects and subscribes at once.
    // /live moves a ?token= into the fragment, which browsers never send to a server; ?token= still works here.
    const params = new URLSearchParams(window.location.search);
    const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    if (params.has('token')) ui.token.value = params.get('token');
    if (fragment.has('token')) ui.token.value = fragment.get('token');
    if (params.has('topics')) ui.topics.value = params.get('topics');
    if (params.has('filter')) ui.filter.value = params.get('filter');
    if (params.has('token') || fragment.has('token')) {
        // keep the token out of the address bar and the history once it is in the form
        params.delete('token');
        fragment.delete('token');
        const rest = params.toString();
        const hash = fragment.toString();
        window.history.replaceState(null, '', window.location.pathname + (rest ? '?' + rest : '') + (hash ? '#' + hash : ''));
    }
    setState('disconnected');
    renderCounts();
    if (params.has('topics') && params.get('connect') !== 'false') {
        connect(false);
    } else if (!ui.token.value && params.get('connect') !== 'false') {
        startAsTheServerSays();
    }

    // Opened without topics: the server says whether its gateway takes anonymous connections (the embedded quick
    // start). Then the page connects at once to the topics it names and says what it shows; with tokens it waits for one.
    async function startAsTheServerSays() {
        let settings;
        try {
            const response = await fetch('settings', {headers: {Accept: 'application/json'}});
            if (!response.ok) return;
            settings = await response.json();
        } catch (e) {
            return; // an older server or a proxy without the endpoint: the page works as a form
        }
        if (settings.gateway === false) {
            showError('this instance does not serve the gateway (cdc.gateway.enabled=false)');
            return;
        }
        if (!settings.anonymous || !Array.isArray(settings.topics) || settings.topics.length === 0 || socket || ui.topics.value) return;
        ui.token.placeholder = 'not needed: this server allows anonymous access';
        ui.topics.value = settings.topics.join(', ');
        if (settings.caption) {
            ui.caption.textContent = settings.caption;
            ui.caption.hidden = false;
        }
        connect(false);
    }
})();
