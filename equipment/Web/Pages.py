"""The status page's two HTML shells; their script fetches JSON and redraws the tables."""

from __future__ import annotations

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f7f8fa; }
h1 { font-size: 20px; margin: 0 0 4px; }
#health { margin: 0 0 16px; padding: 6px 10px; border-radius: 4px; display: inline-block; }
#health.ok { background: #e3f4e8; color: #135b2a; }
#health.bad { background: #fde8e8; color: #8a1c1c; }
#health.gone { background: #eef0f4; color: #5b6474; }
table { border-collapse: collapse; width: 100%; background: white; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e4e7ec;
  vertical-align: top; }
th { background: #eef0f4; font-weight: 600; }
td.fail, span.failure { color: #b42318; }
span.success { color: #137333; }
span.skipped, span.missed { color: #8a5a00; }
.paused { background: #fff4d6; color: #7a4d00; padding: 1px 6px; border-radius: 3px; }
a { color: #1a56db; text-decoration: none; }
small { color: #5b6474; }
"""

SCRIPT = """
const token = new URLSearchParams(location.search).get('token');
const withToken = (url) => token ? url + (url.includes('?') ? '&' : '?') + 'token=' +
  encodeURIComponent(token) : url;
function cell(row, text, cls) {
  const td = document.createElement('td');
  if (text instanceof Node) { td.appendChild(text); } else { td.textContent = text ?? ''; }
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function badge(text, cls) {
  const span = document.createElement('span');
  span.textContent = text; span.className = cls; return span;
}
function showHealth(health) {
  const el = document.getElementById('health');
  el.textContent = (health.ok ? 'healthy: ' : 'unhealthy: ') + health.reason;
  el.className = health.ok ? 'ok' : 'bad';
}
async function showUnreadable(response) {
  // A 503 names what cannot be read (the scheduler state's Redis down, say).
  const body = await response.json().catch(() => ({}));
  const el = document.getElementById('health');
  el.textContent = 'cannot read the status (' + response.status + ')' +
    (typeof body.detail === 'string' ? ': ' + body.detail : '');
  el.className = 'bad';
}
async function refresh() {
  try {
    const response = await fetch(withToken(API));
    if (!response.ok) { await showUnreadable(response); return; }
    draw(await response.json());
    document.getElementById('updated').textContent = 'updated ' +
      new Date().toLocaleTimeString();
  } catch (error) { document.getElementById('updated').textContent = 'offline: ' + error; }
}
refresh();
setInterval(refresh, 2000);
"""

LIST_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scheduler</title>
<style>{STYLE}</style></head>
<body>
<h1>Scheduler</h1>
<div id="health">loading...</div> <small id="updated"></small>
<table id="jobs"><thead><tr>
<th>Job</th><th>Schedule</th><th>Zone</th><th>Next run</th><th>Last run</th>
<th>Last outcome</th><th>Duration</th><th>Failures (24 h)</th><th>State</th>
</tr></thead><tbody></tbody></table>
<script>
const API = '/scheduler/api/jobs';
function draw(data) {{
  showHealth(data.health);
  const body = document.querySelector('#jobs tbody');
  const rows = data.jobs.map((job) => {{
    const tr = document.createElement('tr');
    tr.dataset.job = job.id;
    const link = document.createElement('a');
    link.href = withToken('/scheduler/jobs/' + encodeURIComponent(job.id));
    link.textContent = job.id;
    cell(tr, link);
    cell(tr, job.schedule);
    cell(tr, job.zone);
    cell(tr, job.next_run, 'next-run');
    cell(tr, job.last_run);
    cell(tr, badge(job.last_outcome_text || '-', job.last_outcome));
    cell(tr, job.last_duration);
    cell(tr, String(job.failures_24h), job.failures_24h ? 'fail' : '');
    cell(tr, job.paused ? badge('paused since ' + job.paused_since, 'paused') : 'active',
         'state');
    return tr;
  }});
  body.replaceChildren(...rows);
}}
{SCRIPT}
</script></body></html>
"""

JOB_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scheduler job</title>
<style>{STYLE}</style></head>
<body>
<p><a id="back" href="/scheduler">&larr; all jobs</a></p>
<h1 id="title">Job</h1>
<p id="summary"></p>
<div id="health">loading...</div> <small id="updated"></small>
<table id="history"><thead><tr>
<th>Scheduled</th><th>Outcome</th><th>Replica</th><th>Late</th><th>Duration</th>
<th>Queue job</th></tr></thead><tbody></tbody></table>
<script>
const JOB_ID = decodeURIComponent(location.pathname.replace(/^\\/scheduler\\/jobs\\//, ''));
const API = '/scheduler/api/jobs/' + encodeURIComponent(JOB_ID) + '/history';
function drawSummary(job) {{
  const summary = document.getElementById('summary');
  const state = document.getElementById('health');
  if (!job.registered) {{  // removed from the code: its stored runs only
    summary.textContent = job.note;
    state.textContent = 'not registered'; state.className = 'gone';
    return;
  }}
  summary.textContent = job.schedule + ' (' + job.zone + '); next run ' + job.next_run +
    (job.paused ? '; paused since ' + job.paused_since : '');
  state.textContent = job.paused ? 'paused' : 'active';
  state.className = job.paused ? 'bad' : 'ok';
}}
function draw(data) {{
  const job = data.job;
  document.getElementById('back').href = withToken('/scheduler');
  document.getElementById('title').textContent = job.id;
  drawSummary(job);
  const rows = data.history.map((entry) => {{
    const tr = document.createElement('tr');
    cell(tr, entry.scheduled);
    cell(tr, badge(entry.outcome, entry.kind));
    cell(tr, entry.replica);
    cell(tr, entry.lateness);
    cell(tr, entry.duration);
    cell(tr, entry.queue_job_id);
    return tr;
  }});
  document.querySelector('#history tbody').replaceChildren(...rows);
}}
{SCRIPT}
</script></body></html>
"""
