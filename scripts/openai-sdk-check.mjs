// Driven by scripts/client-check.sh: the official OpenAI Node SDK against aigw-sim --headless.
// PROXY and ADMIN are the URLs from the READY line; SAMPLES is the repository's samples/ folder.
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';

const { PROXY, ADMIN, SAMPLES } = process.env;
// maxRetries 0: show what the gateway answers, not the SDK's own retries.
const client = new OpenAI({ baseURL: `${PROXY}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30000 });
let failures = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const admin = async (method, path, body) => {
  // Every admin change carries a JSON (or, for /config, YAML) content type, bodiless ones too
  // (README "Security": a browser cannot send one cross-origin without a preflight).
  const headers = method === 'GET' ? {} : { 'content-type': path === '/config' ? 'application/yaml' : 'application/json' };
  const r = await fetch(`${ADMIN}${path}`, { method, body, headers });
  if (!r.ok) throw new Error(`${method} ${path} -> ${r.status} ${await r.text()}`);
  return r.json();
};
const servers = () => admin('GET', '/servers');
async function waitReady(name, ms = 20000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    const list = await servers();
    if (list.every((s) => (name && s.name !== name) || s.state === 'ready')) return true;
  }
  return false;
}
const ask = (model, extra = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20, ...extra }).withResponse();

check(await waitReady(), 'model servers ready');

// /v1/models: the virtual names, answered by the gateway.
const ids = (await client.models.list()).data.map((m) => m.id).sort();
check(ids.includes('virtual-qwen-model') && ids.includes('qwen-with-fallback'), 'models.list', ids.join(', '));

// Ticket 1: 50/30/20 by weight, each backend's modelNameOverride in the response.
const byBackend = {}, modelOf = {};
for (let i = 0; i < 200; i++) {
  const { data, response } = await ask('virtual-qwen-model');
  const b = response.headers.get('x-aigw-backend');
  byBackend[b] = (byBackend[b] ?? 0) + 1;
  modelOf[b] = data.model;
}
const share = (b) => (100 * (byBackend[`envoy-ai-gateway-qwen-${b}`] ?? 0)) / 200;
check(Math.abs(share('primary') - 50) <= 3 && Math.abs(share('secondary') - 30) <= 3 && Math.abs(share('tertiary') - 20) <= 3,
  'Ticket 1 split over 200 requests', `primary ${share('primary')}%, secondary ${share('secondary')}%, tertiary ${share('tertiary')}%`);
check(modelOf['envoy-ai-gateway-qwen-primary'] === 'qwen2.5:1.5b' && modelOf['envoy-ai-gateway-qwen-secondary'] === 'qwen2.5:0.5b',
  'response model is the override', JSON.stringify(modelOf));

// Streaming with usage.
const stream = await client.chat.completions.create({ model: 'qwen-with-fallback', stream: true, max_tokens: 8,
  stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hi' }] });
let text = '', chunks = 0, usage = null, finish = null;
for await (const c of stream) {
  chunks++;
  text += c.choices[0]?.delta?.content ?? '';
  finish = c.choices[0]?.finish_reason ?? finish;
  if (c.usage) usage = c.usage;
}
check(chunks > 3 && text.length > 0 && usage?.completion_tokens > 0 && finish !== null, 'stream with include_usage',
  `${chunks} chunks, finish_reason ${finish}, usage ${JSON.stringify(usage)}, text "${text.slice(0, 50)}"`);

// Unknown model: Envoy Gateway's 404 text.
try {
  await ask('no-such-model');
  check(false, 'unknown model gives 404');
} catch (e) {
  check(e.status === 404 && String(e.message).includes('No matching route found'), 'unknown model gives 404',
    `${e.constructor.name}: ${String(e.message).slice(0, 80)}`);
}

// Ticket 2, corrected policy (the built-in scenario): stop the primary, nothing fails.
await admin('POST', '/servers/qwen-primary/stop');
const during = {};
for (let i = 0; i < 20; i++) {
  const { response } = await ask('qwen-with-fallback');
  const k = `${response.status} ${response.headers.get('x-aigw-backend')} attempts=${response.headers.get('x-aigw-attempts')}`;
  during[k] = (during[k] ?? 0) + 1;
}
check(Object.keys(during).every((k) => k.startsWith('200 envoy-ai-gateway-qwen-secondary-fb')), 'Ticket 2 corrected: primary stopped', JSON.stringify(during));
await admin('POST', '/servers/qwen-primary/start');
check(await waitReady('qwen-primary'), 'qwen-primary started again');
const t0 = Date.now();
let back = false;
while (!back && Date.now() - t0 < 60000) {
  const { response } = await ask('qwen-with-fallback');
  back = response.headers.get('x-aigw-backend') === 'envoy-ai-gateway-qwen-primary-fb';
  if (!back) await sleep(250);
}
check(back, 'traffic returns to the primary once its ejection ends', `after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// qwen-primary's process killed (SIGKILL) in the middle of a load of plain and streamed requests.
const outcome = {};
const bump = (k) => (outcome[k] = (outcome[k] ?? 0) + 1);
const end = Date.now() + 4000;
async function worker(model, streamed) {
  while (Date.now() < end) {
    try {
      if (streamed) {
        const s = await client.chat.completions.create({ model, stream: true, max_tokens: 40, messages: [{ role: 'user', content: 'go' }] });
        let sawFinish = false;
        for await (const c of s) if (c.choices[0]?.finish_reason) sawFinish = true;
        bump(`${model} stream: ${sawFinish ? 'complete' : 'ended without finish_reason'}`);
      } else {
        const { response } = await ask(model);
        bump(`${model}: ${response.status}`);
      }
    } catch (e) {
      bump(`${model}${streamed ? ' stream' : ''}: error ${e.status ?? ''} ${e.constructor.name}`);
    }
  }
}
const killer = (async () => {
  await sleep(1500);
  const pid = (await servers()).find((s) => s.name === 'qwen-primary').pid;
  process.kill(pid, 'SIGKILL');
  console.log(`      killed qwen-primary (pid ${pid}) with SIGKILL`);
})();
await Promise.all([killer, worker('qwen-with-fallback', false), worker('qwen-with-fallback', true),
  worker('virtual-qwen-model', false), worker('virtual-qwen-model', true)]);
console.log('      what the clients got:');
for (const [k, n] of Object.entries(outcome).sort()) console.log(`        ${String(n).padStart(5)}  ${k}`);
check(Object.keys(outcome).filter((k) => k.startsWith('qwen-with-fallback:')).every((k) => k === 'qwen-with-fallback: 200'),
  'kill mid-load: plain requests on the fallback route all answered 200');
const after = (await servers()).find((s) => s.name === 'qwen-primary');
check(after.state !== 'ready', 'the killed server is reported down', `${after.state}: ${after.error ?? ''}`);
await admin('POST', '/servers/qwen-primary/start');
check(await waitReady('qwen-primary'), 'qwen-primary restarted after the kill');

// Ticket 2 as written: the tutorial's policy (no numAttemptsPerPriority) keeps retries on priority 0.
if (SAMPLES) {
  const yaml = ['gateway-setup.yaml', 'primary-model.yaml', 'secondary-model.yaml', 'provider-fallback.yaml']
    .map((f) => readFileSync(`${SAMPLES}/${f}`, 'utf8')).join('\n---\n');
  await admin('POST', '/config', yaml);
  check(await waitReady(), 'as-written config applied');
  await admin('POST', '/servers/qwen-primary/stop');
  try {
    const { response } = await ask('qwen-with-fallback');
    check(false, 'Ticket 2 as written: primary stopped gives 503', `got ${response.status}`);
  } catch (e) {
    check(e.status === 503, 'Ticket 2 as written: primary stopped gives 503', `${e.constructor.name}: ${String(e.message).slice(0, 90)}`);
  }
}

console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
