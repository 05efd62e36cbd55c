// What the documents pages share: translated strings, a small DOM builder, the REST API with CSRF.

import { el, readJSON, showBriefly } from "../frontend/dom.js";

export { el, readJSON };

const strings = readJSON("documents-strings");

// A translated string, with %(name)s placeholders filled from params.
export function t(key, params = {}) {
  const text = strings[key] ?? key;
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? "")).replace(/%%/g, "%");
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || t("action_failed"));
    this.status = status;
    this.code = (error && error.code) || "error";
  }
}

// api("GET", "/meetings/3/documents") → JSON; refusals throw ApiError with the server's message.
export async function api(method, path, body = undefined) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(`/api/v1${path}`, options);
  } catch (error) {
    throw new ApiError(0, { message: t("network_error") });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data && data.error);
  return data;
}

// A multipart upload with progress: onProgress(fraction 0..1) while the file is sent.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1${path}`);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch (error) {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data && data.error));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, { message: t("network_error") })));
    xhr.send(form);
  });
}

export function formatDateTime(iso, timeZone) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const options = { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" };
  try {
    return d.toLocaleString(document.documentElement.lang || "vi", { ...options, timeZone });
  } catch (error) {
    return d.toLocaleString(document.documentElement.lang || "vi", options);
  }
}

export function toast(message) {
  let node = document.getElementById("documents-toast");
  if (!node) {
    node = el("div", { id: "documents-toast", class: "doc-toast", role: "alert", "data-testid": "documents-toast" });
    document.body.append(node);
  }
  showBriefly(node, message);
}
