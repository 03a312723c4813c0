// cdc-hub pipeline page: the pipeline as it runs, read every few seconds from /actuator/pipeline with the admin
// token. Plain browser JavaScript, no build step. Every value from the server is put in the page as text
// (textContent), never as HTML.
'use strict';

(() => {
    const REFRESH_MS = 3000;
    // the token lives in this tab's session only: a reload keeps it, closing the tab forgets it
    const TOKEN_KEY = 'cdc-hub-admin-token';
    // where each kind of part is shown, in the order of the flow
    const STAGES = {source: 'sources', kafka: 'topics', topic: 'topics', 'dead-letters': 'topics', sink: 'sinks', consumer: 'sinks', gateway: 'gateway'};

    const $ = (id) => document.getElementById(id);
    const ui = {
        state: $('state'),
        refreshed: $('refreshed'),
        loginForm: $('login-form'),
        token: $('token'),
        login: $('login'),
        logout: $('logout'),
        errors: $('errors'),
    };

    let timer = null;
    // kind/name/total -> {value, time}: the previous reading, to turn totals into rates
    const previous = new Map();

    function clock(date) {
        return date.toLocaleTimeString(undefined, {hour12: false});
    }

    function setError(text) {
        ui.errors.replaceChildren();
        if (text) {
            const item = document.createElement('li');
            item.textContent = `${clock(new Date())} ${text}`;
            ui.errors.append(item);
        }
    }

    function setState(state, text) {
        ui.state.dataset.state = state;
        ui.state.textContent = text || state;
    }

    function signedIn(yes) {
        ui.login.hidden = yes;
        ui.token.hidden = yes;
        ui.logout.hidden = !yes;
        document.querySelector('label[for="token"]').hidden = yes;
    }

    async function refresh() {
        const token = sessionStorage.getItem(TOKEN_KEY);
        if (!token) return;
        let response;
        try {
            response = await fetch('../actuator/pipeline', {headers: {Authorization: 'Bearer ' + token, Accept: 'application/json'}, cache: 'no-store'});
        } catch (e) {
            setState('DOWN', 'unreachable');
            setError('the server is unreachable: ' + e.message);
            return schedule();
        }
        if (response.status === 401) {
            signOut();
            setError('the admin token was refused: enter cdc.admin.token (the quick start prints it in its banner)');
            return;
        }
        if (!response.ok) {
            setState('DOWN', `HTTP ${response.status}`);
            setError(`/actuator/pipeline answered ${response.status}`);
            return schedule();
        }
        const pipeline = await response.json();
        setError(null);
        signedIn(true);
        render(pipeline);
        schedule();
    }

    function schedule() {
        clearTimeout(timer);
        timer = setTimeout(refresh, REFRESH_MS);
    }

    function render(pipeline) {
        setState(pipeline.status, `pipeline ${pipeline.status}`);
        ui.refreshed.textContent = `refreshed ${clock(new Date(pipeline.time))}, every ${REFRESH_MS / 1000} s`;
        const byStage = new Map(Object.values(STAGES).map((id) => [id, []]));
        for (const part of pipeline.parts) {
            byStage.get(STAGES[part.kind] ?? 'sinks').push(card(part, pipeline.time));
        }
        for (const [id, cards] of byStage) {
            $(id).replaceChildren(...(cards.length > 0 ? cards : [none()]));
        }
    }

    function none() {
        const p = document.createElement('p');
        p.className = 'muted';
        p.textContent = 'none in this instance';
        return p;
    }

    function card(part, time) {
        const div = document.createElement('div');
        div.className = 'part';
        div.dataset.kind = part.kind;
        div.dataset.name = part.name;
        div.dataset.status = part.status;
        const title = document.createElement('h3');
        const name = document.createElement('span');
        name.textContent = part.kind === part.name ? part.name : `${part.kind} ${part.name}`;
        const status = document.createElement('span');
        status.className = 'status';
        status.textContent = part.status;
        title.append(name, status);
        div.append(title);
        if (part.reason) {
            const reason = document.createElement('p');
            reason.className = 'reason';
            reason.textContent = part.reason;
            div.append(reason);
        }
        const list = document.createElement('dl');
        for (const [label, value] of Object.entries(part.figures ?? {})) {
            add(list, label, format(value));
        }
        for (const [label, value] of Object.entries(part.totals ?? {})) {
            const key = `${part.kind}/${part.name}/${label}`;
            const before = previous.get(key);
            previous.set(key, {value, time});
            // a rate needs two readings; a counter that went back (a restart) starts again
            const rate = before && time > before.time && value >= before.value ? (value - before.value) * 1000 / (time - before.time) : null;
            add(list, `${label}/s`, rate === null ? '…' : rate.toFixed(rate < 10 ? 1 : 0));
            add(list, label, format(value));
        }
        div.append(list);
        return div;
    }

    function add(list, label, text) {
        const dt = document.createElement('dt');
        dt.textContent = label;
        const dd = document.createElement('dd');
        dd.dataset.figure = label;
        dd.textContent = text;
        list.append(dt, dd);
    }

    function format(value) {
        if (typeof value === 'number') {
            return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(1);
        }
        return typeof value === 'string' ? value : JSON.stringify(value);
    }

    function signOut() {
        clearTimeout(timer);
        sessionStorage.removeItem(TOKEN_KEY);
        previous.clear();
        signedIn(false);
        setState('disconnected', 'signed out');
        ui.refreshed.textContent = '';
    }

    ui.loginForm.addEventListener('submit', (event) => {
        event.preventDefault();
        const token = ui.token.value.trim();
        if (!token) {
            setError('enter the admin token');
            return;
        }
        sessionStorage.setItem(TOKEN_KEY, token);
        ui.token.value = '';
        setState('connecting', 'signing in…');
        refresh();
    });
    ui.logout.addEventListener('click', signOut);

    if (sessionStorage.getItem(TOKEN_KEY)) {
        refresh();
    }
})();
