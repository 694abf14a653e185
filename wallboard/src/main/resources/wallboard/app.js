/*
 * Storepulse wallboard page. Receives full snapshots over server-sent events (/events) and draws
 * them. Safe by default: every piece of data is put into the page with textContent (never as HTML),
 * so a product called <script>alert(1)</script> shows as exactly that text.
 */
'use strict';

(function () {
  const SOURCE_URL = '/events';
  const wallboard = {
    snapshot: null,
    snapshots: 0,
    connected: false,
    funnelChart: null,
    actionsChart: null,
  };
  window.wallboard = wallboard; // for people and browser tests to inspect

  let clockSkewMs = 0; // server clock minus browser clock
  let source = null;
  let reconnectDelayMs = 1000;

  // ------------------------------------------------------------------ helpers (text only)

  function byId(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setText(id, text) {
    byId(id).textContent = text === undefined || text === null ? '' : String(text);
  }

  function money(value, currency) {
    if (value === null || value === undefined) return '–';
    const n = Number(value);
    try {
      return new Intl.NumberFormat(undefined, {
        style: 'currency', currency: currency || 'EUR', maximumFractionDigits: n >= 100000 ? 0 : 2,
      }).format(n);
    } catch (e) {
      // an unknown currency code: show the number and the code as plain text
      return n.toFixed(2) + ' ' + String(currency || '');
    }
  }

  function count(value) {
    if (value === null || value === undefined) return '–';
    return new Intl.NumberFormat().format(Number(value));
  }

  function percent(value, digits) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    return (Number(value) * 100).toFixed(digits === undefined ? 2 : digits) + ' %';
  }

  function hhmm(epochMs) {
    const d = new Date(epochMs);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  function hhmmss(epochMs) {
    const d = new Date(epochMs);
    return hhmm(epochMs) + ':' + String(d.getSeconds()).padStart(2, '0');
  }

  function ago(ms) {
    if (ms < 0) ms = 0;
    const s = Math.round(ms / 1000);
    if (s < 90) return s + ' s ago';
    const m = Math.round(s / 60);
    if (m < 90) return m + ' min ago';
    return Math.round(m / 60) + ' h ago';
  }

  function serverNow() {
    return Date.now() + clockSkewMs;
  }

  // ------------------------------------------------------------------ connection

  function setConnection(state, text) {
    const node = byId('connection');
    node.className = 'connection ' + state;
    node.textContent = text;
  }

  function connect() {
    setConnection('connecting', 'connecting…');
    source = new EventSource(SOURCE_URL);
    source.onopen = function () {
      wallboard.connected = true;
      reconnectDelayMs = 1000;
      setConnection('live', 'live');
    };
    source.addEventListener('snapshot', function (event) {
      let snapshot;
      try {
        snapshot = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      apply(snapshot);
    });
    source.onerror = function () {
      wallboard.connected = false;
      setConnection('down', 'reconnecting…');
      // EventSource retries by itself after a dropped stream; if it gave up (CLOSED), start over.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, reconnectDelayMs);
        reconnectDelayMs = Math.min(reconnectDelayMs * 2, 15000);
      }
    };
  }

  // ------------------------------------------------------------------ drawing

  function apply(snapshot) {
    clockSkewMs = snapshot.serverTime - Date.now();
    wallboard.snapshot = snapshot;
    wallboard.snapshots += 1;
    drawKpis(snapshot.kpis);
    drawFunnel(snapshot.funnel);
    drawTopSkus(snapshot.topSkus);
    drawBreakdown('channels-rows', snapshot.channels);
    drawBreakdown('categories-rows', snapshot.categories);
    drawAlerts(snapshot.alerts);
    drawActions(snapshot.actions);
    refreshAges();
  }

  function compare(id, now, then, format, asRatio) {
    const node = byId(id);
    node.replaceChildren();
    if (then === null || then === undefined || now === null || now === undefined) {
      node.textContent = 'yesterday: not known';
      return;
    }
    node.appendChild(document.createTextNode('yesterday ' + format(then) + ' '));
    let delta;
    let label;
    if (asRatio) {
      delta = (Number(now) - Number(then)) * 100;
      label = (delta >= 0 ? '+' : '') + delta.toFixed(2) + ' pp';
    } else if (Number(then) !== 0) {
      delta = (Number(now) - Number(then)) / Number(then) * 100;
      label = (delta >= 0 ? '+' : '') + delta.toFixed(1) + ' %';
    } else {
      return;
    }
    node.appendChild(el('span', delta >= 0 ? 'up' : 'down', (delta >= 0 ? '▲ ' : '▼ ') + label));
  }

  function drawKpis(k) {
    const y = k.yesterday;
    setText('kpi-gmv', money(k.gmv, k.currency));
    setText('kpi-orders', count(k.orders));
    setText('kpi-visitors', (k.visitorsExact || k.visitors === null ? '' : '≈ ') + count(k.visitors));
    setText('kpi-conversion', percent(k.conversion));
    setText('kpi-aov', money(k.aov, k.currency));
    compare('kpi-gmv-compare', k.gmv, y && y.gmv, function (v) { return money(v, k.currency); });
    compare('kpi-orders-compare', k.orders, y && y.orders, count);
    compare('kpi-visitors-compare', k.visitors, y && y.visitors, count);
    compare('kpi-conversion-compare', k.conversion, y && y.conversion, percent, true);
    compare('kpi-aov-compare', k.aov, y && y.aov, function (v) { return money(v, k.currency); });
    if (k.windowStart !== null) {
      setText('day', 'day from ' + new Date(k.windowStart).toLocaleString() + (k.revision > 0 ? ' · revision ' + k.revision : ''));
    }
  }

  const FUNNEL_SERIES = [
    ['productViews', 'Product views', '#58a6ff'],
    ['addToCarts', 'Add to cart', '#a371f7'],
    ['checkoutsStarted', 'Checkouts', '#d29922'],
    ['orders', 'Orders', '#3fb950'],
  ];

  function chartDefaults() {
    if (!window.Chart) return false;
    Chart.defaults.color = '#8b98a9';
    Chart.defaults.borderColor = '#263040';
    Chart.defaults.animation = false;
    return true;
  }

  function drawFunnel(f) {
    if (!chartDefaults()) return;
    const labels = f.minutes.map(function (p) { return hhmm(p.start); });
    const datasets = FUNNEL_SERIES.map(function (s) {
      return {
        label: s[1],
        data: f.minutes.map(function (p) { return p[s[0]]; }),
        borderColor: s[2],
        backgroundColor: s[2],
        pointRadius: 1.5,
        tension: 0.25,
      };
    });
    if (!wallboard.funnelChart) {
      wallboard.funnelChart = new Chart(byId('funnel-chart'), {
        type: 'line',
        data: { labels: labels, datasets: datasets },
        options: {
          maintainAspectRatio: false,
          interaction: { mode: 'index', intersect: false },
          scales: { y: { type: 'logarithmic', title: { display: true, text: 'per minute (log)' } } },
          plugins: { legend: { position: 'bottom' } },
        },
      });
    } else {
      wallboard.funnelChart.data.labels = labels;
      wallboard.funnelChart.data.datasets.forEach(function (d, i) { d.data = datasets[i].data; });
      wallboard.funnelChart.update('none');
    }
  }

  function drawActions(a) {
    setText('actions-totals', a.minutes.length
      ? '· last ' + a.minutes.length + ' min: ' + a.coupons + ' coupons, ' + a.markdowns + ' markdowns, ' + a.restores + ' restores'
      : '');
    if (!chartDefaults()) return;
    const labels = a.minutes.map(function (m) { return hhmm(m.start); });
    const series = [
      ['Coupons', a.minutes.map(function (m) { return m.coupons; }), '#a371f7'],
      ['Markdowns', a.minutes.map(function (m) { return m.markdowns; }), '#f0883e'],
      ['Restores', a.minutes.map(function (m) { return m.restores; }), '#3fb950'],
    ];
    if (!wallboard.actionsChart) {
      wallboard.actionsChart = new Chart(byId('actions-chart'), {
        type: 'bar',
        data: {
          labels: labels,
          datasets: series.map(function (s) { return { label: s[0], data: s[1], backgroundColor: s[2] }; }),
        },
        options: {
          maintainAspectRatio: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'bottom' } },
        },
      });
    } else {
      wallboard.actionsChart.data.labels = labels;
      wallboard.actionsChart.data.datasets.forEach(function (d, i) { d.data = series[i][1]; });
      wallboard.actionsChart.update('none');
    }
  }

  function placeholderRow(tbody, columns, text) {
    const tr = el('tr');
    const td = el('td', 'placeholder', text);
    td.colSpan = columns;
    tr.appendChild(td);
    tbody.appendChild(tr);
  }

  function drawTopSkus(t) {
    const tbody = byId('top-skus-rows');
    tbody.replaceChildren();
    setText('top-skus-minute', t.minuteStart === null ? '' : '· minute ' + hhmm(t.minuteStart));
    if (!t.rows.length) {
      placeholderRow(tbody, 5, 'waiting for SKU metrics');
      return;
    }
    t.rows.forEach(function (r) {
      const tr = el('tr');
      tr.appendChild(el('td', 'num', r.rank));
      const name = el('td', 'name');
      name.appendChild(el('span', 'product-name', r.name === null ? r.sku : r.name));
      name.appendChild(el('span', 'sku', r.sku + (r.category ? ' · ' + r.category : '')));
      tr.appendChild(name);
      tr.appendChild(el('td', 'num', money(r.gmv, t.currency)));
      tr.appendChild(el('td', 'num', count(r.units)));
      tr.appendChild(el('td', 'num', percent(r.conversion, 1)));
      tbody.appendChild(tr);
    });
  }

  function drawBreakdown(tbodyId, b) {
    const tbody = byId(tbodyId);
    tbody.replaceChildren();
    if (!b.rows.length) {
      placeholderRow(tbody, 6, 'waiting for metrics');
      return;
    }
    b.rows.forEach(function (r) {
      const tr = el('tr');
      tr.appendChild(el('td', 'name', r.name));
      tr.appendChild(el('td', 'num', money(r.gmv, b.currency)));
      const share = el('td', 'num');
      const bar = el('span', 'share');
      bar.style.width = Math.max(0, Math.min(100, r.share * 100)).toFixed(0) * 0.6 + 'px';
      share.appendChild(bar);
      share.appendChild(document.createTextNode(percent(r.share, 0)));
      tr.appendChild(share);
      tr.appendChild(el('td', 'num', count(r.orders)));
      tr.appendChild(el('td', 'num', percent(r.conversion, 1)));
      tr.appendChild(el('td', 'num', r.lastMinuteGmv === null ? '–' : money(r.lastMinuteGmv, b.currency)));
      tbody.appendChild(tr);
    });
    if (b.more > 0) {
      placeholderRow(tbody, 6, '+ ' + b.more + ' more');
    }
  }

  function drawAlerts(a) {
    const list = byId('alerts-list');
    list.replaceChildren();
    if (!a.rows.length) {
      list.appendChild(el('li', 'placeholder', 'no alerts'));
      return;
    }
    a.rows.forEach(function (r) {
      const li = el('li', 'alert');
      li.dataset.actionId = r.actionId;
      li.appendChild(el('span', 'time', hhmm(r.eventTime)));
      li.appendChild(el('span', 'type ' + r.type.replace(/[^A-Z_]/g, ''), r.type.replace(/_/g, ' ')));
      const what = el('span', 'what');
      what.appendChild(el('span', 'product-name', r.name === null ? r.sku : r.name));
      what.appendChild(document.createTextNode(' · ' + r.sku + ' @ ' + r.warehouse + ' · available ' + r.available + ' (reorder at ' + r.reorderPoint + ')'));
      if (r.text) what.appendChild(el('span', 'text', r.text));
      li.appendChild(what);
      list.appendChild(li);
    });
  }

  // ------------------------------------------------------------------ staleness

  function refreshAges() {
    const s = wallboard.snapshot;
    setText('clock', hhmmss(serverNow()));
    if (!s) return;
    const now = serverNow();
    document.querySelectorAll('.tile').forEach(function (tile) {
      const data = s[tile.dataset.source];
      const threshold = tile.dataset.source === 'alerts' || tile.dataset.source === 'actions'
        ? s.actionsStaleAfterMs : s.staleAfterMs;
      const footer = tile.querySelector('.age');
      if (!data || data.asOf === null || data.asOf === undefined) {
        tile.classList.add('empty');
        tile.classList.remove('stale');
        footer.textContent = 'no data yet';
        return;
      }
      tile.classList.remove('empty');
      const age = now - data.asOf;
      const stale = age > threshold;
      tile.classList.toggle('stale', stale);
      tile.dataset.stale = String(stale);
      footer.textContent = (stale ? 'STALE · ' : '') + 'data as of ' + hhmmss(data.asOf) + ' (' + ago(age) + ')';
    });
  }

  function start() {
    connect();
    setInterval(refreshAges, 1000);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
