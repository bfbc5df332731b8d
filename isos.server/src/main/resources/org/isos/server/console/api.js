// The JSON API of the server that served this page, with the token kept in this tab's session storage.
const KEY = 'isos.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) {
    sessionStorage.setItem(KEY, value);
  } else {
    sessionStorage.removeItem(KEY);
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the API; resolves to the parsed JSON, rejects with an ApiError carrying the server's message. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { 'Accept': 'application/json', 'Authorization': 'Bearer ' + token() };
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    throw new ApiError(response.status, `${method} ${path}: HTTP ${response.status}, not JSON`);
  }
  if (!response.ok) {
    throw new ApiError(response.status, (json && json.error) || `${method} ${path}: HTTP ${response.status}`);
  }
  return json;
}

/** Micro-credits as credits, e.g. 1234567 → "1.234567". */
export function credits(micros) {
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1e6);
  const frac = String(abs % 1e6).padStart(6, '0');
  return (negative ? '-' : '') + whole.toLocaleString('en-US') + '.' + frac;
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (Number.isInteger(v) ? v : v.toFixed(1)) + ' ' + units[i];
}

export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
