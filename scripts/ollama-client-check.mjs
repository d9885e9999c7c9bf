// Driven by scripts/client-check.sh: the official Ollama JavaScript client (npm `ollama`) against a
// model server of aigw-sim (aigw-mock-backend started by the headless gateway). ADMIN is the admin
// API's URL, SERVER_NAME the model server to drive; its URL and model come from GET /servers.
import { Ollama } from 'ollama';

const { ADMIN, SERVER_NAME } = process.env;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let server;
for (const end = Date.now() + 20000; Date.now() < end && server?.state !== 'ready'; await sleep(100))
  server = (await (await fetch(`${ADMIN}/servers`)).json()).find((s) => s.name === SERVER_NAME);
if (server?.state !== 'ready') {
  console.log(`FAIL  model server ${SERVER_NAME} ready: ${JSON.stringify(server)}`);
  process.exit(1);
}
const SERVER_MODEL = server.models[0];
console.log(`      ${SERVER_NAME} at ${server.url}, model ${SERVER_MODEL}`);
const ollama = new Ollama({ host: server.url });
let failures = 0;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
};
const attempt = async (what, fn) => {
  try {
    await fn();
  } catch (e) {
    check(false, what, `${e.constructor.name}: ${e.message}`);
  }
};

await attempt('ollama.version', async () => {
  const v = await ollama.version();
  check(/^\d+\.\d+\.\d+/.test(v.version), 'ollama.version', v.version);
});
await attempt('ollama.list', async () => {
  const names = (await ollama.list()).models.map((m) => m.name);
  check(names.includes(SERVER_MODEL), 'ollama.list', names.join(', '));
});
await attempt('ollama.show', async () => {
  const s = await ollama.show({ model: SERVER_MODEL });
  check(Boolean(s.details?.family) && Boolean(s.model_info), 'ollama.show', `family ${s.details?.family}, ${s.details?.parameter_size}`);
});
await attempt('ollama.chat', async () => {
  const r = await ollama.chat({ model: SERVER_MODEL, messages: [{ role: 'user', content: 'Hi' }], options: { num_predict: 12 } });
  check(r.done && r.message.role === 'assistant' && r.message.content.includes(SERVER_NAME) && r.eval_count > 0,
    'ollama.chat', `"${r.message.content.slice(0, 60)}" eval_count ${r.eval_count}`);
});
await attempt('ollama.chat stream', async () => {
  let parts = 0, text = '', last = null;
  for await (const part of await ollama.chat({ model: SERVER_MODEL, stream: true, messages: [{ role: 'user', content: 'Hi' }],
    options: { num_predict: 8 } })) {
    parts++;
    text += part.message.content;
    last = part;
  }
  check(parts > 3 && last?.done === true && text.length > 0, 'ollama.chat stream', `${parts} parts, done_reason ${last?.done_reason}`);
});
await attempt('ollama.generate', async () => {
  const r = await ollama.generate({ model: SERVER_MODEL, prompt: 'Why is the sky blue?', options: { num_predict: 10 } });
  check(r.done && r.response.length > 0 && r.prompt_eval_count > 0, 'ollama.generate', `"${r.response.slice(0, 60)}"`);
});
await attempt('ollama.embed', async () => {
  const r = await ollama.embed({ model: SERVER_MODEL, input: ['a', 'b'] });
  check(r.embeddings.length === 2 && r.embeddings[0].length > 0, 'ollama.embed', `2 x ${r.embeddings[0].length} dimensions`);
});
await attempt('ollama.pull stream', async () => {
  const statuses = [];
  let sawProgress = false;
  for await (const p of await ollama.pull({ model: 'llama3.2:1b', stream: true })) {
    statuses.push(p.status);
    if (p.total && p.completed) sawProgress = true;
  }
  const names = (await ollama.list()).models.map((m) => m.name);
  check(sawProgress && statuses.at(-1) === 'success' && names.includes('llama3.2:1b'), 'ollama.pull stream',
    `${statuses.length} progress lines, last "${statuses.at(-1)}", then served: ${names.includes('llama3.2:1b')}`);
});
await attempt('ollama.ps', async () => {
  const names = (await ollama.ps()).models.map((m) => m.name);
  check(names.includes(SERVER_MODEL), 'ollama.ps', names.join(', '));
});
await attempt('unknown model', async () => {
  try {
    await ollama.chat({ model: 'no-such-model:7b', messages: [{ role: 'user', content: 'Hi' }] });
    check(false, 'unknown model gives 404');
  } catch (e) {
    check(e.status_code === 404 && /model .*not found/.test(e.message), 'unknown model gives 404', e.message);
  }
});

if (failures) {
  console.log(`${failures} Ollama client check(s) failed`);
  process.exit(1);
}
console.log('all Ollama client checks passed');
