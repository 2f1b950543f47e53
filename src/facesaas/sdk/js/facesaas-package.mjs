// FaceSaaS liveness image package ("大礼包", manual 9.1): the browser-side packer.
//
// A dependency-free ES module built on WebCrypto; it runs in browsers (secure contexts:
// https or localhost, where crypto.subtle exists) and in Node >= 20. Its output opens with the
// server's facesaas.liveness.package.parse_header + open_sealed. Format version 1, integers
// big-endian:
//
//   offset  size  field
//   0       4     magic "FSPK"
//   4       1     version (1)
//   5       1     L: length of the key id (1..64)
//   6       L     key id, ASCII [A-Za-z0-9_-]
//   6+L     12    nonce (random)
//   18+L    ...   AES-256-GCM ciphertext of the content, then its 16-byte tag;
//                 additional data = bytes 0 .. 18+L (the whole header)
//
//   content  = u32 M | M bytes of UTF-8 JSON metadata | image 1 | image 2 | ...
//   metadata = {"package_id": 32 hex digits, "created_at": Unix ms, "customer_defined_content":
//               string, "capture": object, "image_sizes": [bytes of image 1, ...]}
//
// The API takes the package base64-encoded (standard alphabet, padded).

/** The package format version this module writes. */
export const FORMAT_VERSION = 1;

const MAGIC = [0x46, 0x53, 0x50, 0x4b]; // "FSPK"
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const PACKAGE_ID_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PACKAGE_ID = /^[0-9a-f]{32}$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) table[ALPHABET.charCodeAt(i)] = i;
  table[0x2d] = 62; // "-" (URL-safe alphabet)
  table[0x5f] = 63; // "_"
  return table;
})();

/**
 * Encode bytes as standard, padded base64 (no dependence on Buffer or btoa; any length).
 * @param {Uint8Array | ArrayBuffer | ArrayBufferView} bytes
 * @returns {string}
 */
export function bytesToBase64(bytes) {
  const data = asBytes(bytes, "bytesToBase64 input");
  const parts = [];
  const CHUNK = 3 * 16384; // a multiple of 3, so only the last chunk is padded
  for (let start = 0; start < data.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, data.length);
    let out = "";
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
    }
    if (end - i === 1) {
      const n = data[i] << 16;
      out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + "==";
    } else if (end - i === 2) {
      const n = (data[i] << 16) | (data[i + 1] << 8);
      out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + "=";
    }
    parts.push(out);
  }
  return parts.join("");
}

/**
 * Decode base64 (standard or URL-safe alphabet, padding optional, whitespace ignored).
 * @param {string} text
 * @returns {Uint8Array}
 * @throws {TypeError} when text is not a string or not base64
 */
export function base64ToBytes(text) {
  if (typeof text !== "string") throw new TypeError("base64ToBytes expects a string");
  const compact = text.replace(/[\t\n\f\r ]+/g, "");
  const body = compact.replace(/={1,2}$/, "");
  if (body.length % 4 === 1 || (compact.length !== body.length && compact.length % 4 !== 0)) {
    throw new TypeError("not base64: bad length or padding");
  }
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) throw new TypeError(`not base64: unexpected character at position ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Seal images into a version-1 liveness package and return it base64-encoded, as the
 * API's query_image_package takes it.
 * @param {Array<Uint8Array | ArrayBuffer | Blob>} images encoded JPEG/PNG bytes, frontal face first
 * @param {object} options
 * @param {string | Uint8Array | ArrayBuffer | CryptoKey} options.key the customer's 32-byte
 *   package key: base64 text, raw bytes, or an AES-GCM CryptoKey allowed to "encrypt"
 * @param {string} options.keyId the key's id (1..64 of A-Z a-z 0-9 _ -)
 * @param {string} [options.customerDefinedContent=""] free text bound into the package
 * @param {object} [options.capture={}] capture metadata (a JSON object)
 * @param {number | Date} [options.createdAt=Date.now()] creation time, Unix milliseconds
 * @param {string} [options.packageId] 32 lower-case hex digits; random by default
 * @returns {Promise<string>} base64 (standard alphabet, padded) of the package
 * @throws {TypeError | RangeError} on invalid input
 */
export async function buildPackage(images, options) {
  if (options === null || typeof options !== "object") {
    throw new TypeError("buildPackage(images, options): options { key, keyId } are required");
  }
  const {
    key,
    keyId,
    customerDefinedContent = "",
    capture = {},
    createdAt = Date.now(),
    packageId = undefined,
  } = options;
  const subtle = getSubtle();

  if (typeof keyId !== "string") throw new TypeError("keyId must be a string");
  if (!KEY_ID.test(keyId)) {
    throw new RangeError("keyId must be 1-64 characters of A-Z, a-z, 0-9, _ and -");
  }
  if (typeof customerDefinedContent !== "string") {
    throw new TypeError("customerDefinedContent must be a string");
  }
  if (capture === null || typeof capture !== "object" || Array.isArray(capture)) {
    throw new TypeError("capture must be a plain object");
  }
  const createdMs = createdAt instanceof Date ? createdAt.getTime() : createdAt;
  if (typeof createdMs !== "number" || !Number.isFinite(createdMs)) {
    throw new TypeError("createdAt must be a finite number of Unix milliseconds or a Date");
  }
  if (createdMs < 0) throw new RangeError("createdAt must not be negative");
  let id = packageId;
  if (id === undefined || id === null) {
    id = hex(randomBytes(PACKAGE_ID_BYTES));
  } else if (typeof id !== "string" || !PACKAGE_ID.test(id)) {
    throw new RangeError("packageId must be 32 lower-case hex digits");
  }
  if (!Array.isArray(images)) throw new TypeError("images must be an array");
  if (images.length === 0) throw new RangeError("a package holds at least one image");

  const cryptoKey = await importKey(subtle, key);
  const imageBytes = [];
  for (let i = 0; i < images.length; i++) {
    const bytes = await imageToBytes(images[i], i);
    if (bytes.length === 0) throw new RangeError(`image ${i} is empty`);
    imageBytes.push(bytes);
  }

  const metadata = {
    package_id: id,
    created_at: Math.round(createdMs),
    customer_defined_content: customerDefinedContent,
    capture,
    image_sizes: imageBytes.map((b) => b.length),
  };
  let json;
  try {
    json = JSON.stringify(metadata);
  } catch (err) {
    throw new TypeError(`capture is not serialisable as JSON: ${err.message}`);
  }
  const meta = new TextEncoder().encode(json);
  const content = concat([u32(meta.length), meta, ...imageBytes]);

  const idBytes = new TextEncoder().encode(keyId); // ASCII by the check above
  const nonce = randomBytes(NONCE_BYTES);
  const header = concat([Uint8Array.from(MAGIC), Uint8Array.of(FORMAT_VERSION, idBytes.length), idBytes, nonce]);
  const sealed = await subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: header, tagLength: 128 },
    cryptoKey,
    content,
  );
  return bytesToBase64(concat([header, new Uint8Array(sealed)]));
}

/**
 * Grab `count` JPEG frames from a playing <video> element, `intervalMs` apart, through a
 * canvas (browser only). Pass the result to buildPackage, frontal frame first.
 * @param {HTMLVideoElement} video a playing video element (e.g. a getUserMedia stream)
 * @param {number} [count=1] how many frames (1..8)
 * @param {number} [intervalMs=200] delay between frames
 * @param {number} [quality=0.92] JPEG quality, 0..1
 * @returns {Promise<Uint8Array[]>} the JPEG bytes of each frame
 */
export async function captureFrames(video, count = 1, intervalMs = 200, quality = 0.92) {
  if (typeof document === "undefined") throw new TypeError("captureFrames needs a browser (document and canvas)");
  if (!video || !video.videoWidth || !video.videoHeight) throw new TypeError("video must be a playing <video> element");
  if (!Number.isInteger(count) || count < 1 || count > 8) throw new RangeError("count must be an integer from 1 to 8");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  const frames = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    if (!blob) throw new Error("the canvas could not encode a JPEG frame");
    frames.push(new Uint8Array(await blob.arrayBuffer()));
  }
  return frames;
}

// ---------------------------------------------------------------------------------------------

function getSubtle() {
  const c = globalThis.crypto;
  if (!c || !c.subtle || typeof c.getRandomValues !== "function") {
    throw new TypeError("WebCrypto (crypto.subtle) is unavailable: use a secure context (https) or Node >= 20");
  }
  return c.subtle;
}

function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

function hex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function asBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`${what} must be a Uint8Array or ArrayBuffer`);
}

async function imageToBytes(image, index) {
  if (typeof Blob !== "undefined" && image instanceof Blob) return new Uint8Array(await image.arrayBuffer());
  if (image instanceof Uint8Array || image instanceof ArrayBuffer || ArrayBuffer.isView(image)) {
    return asBytes(image);
  }
  throw new TypeError(`image ${index} must be a Uint8Array, ArrayBuffer or Blob`);
}

function isCryptoKey(value) {
  if (typeof CryptoKey !== "undefined" && value instanceof CryptoKey) return true;
  return value !== null && typeof value === "object" && value.type === "secret" && typeof value.algorithm === "object";
}

async function importKey(subtle, key) {
  if (isCryptoKey(key)) {
    const algorithm = key.algorithm || {};
    if (algorithm.name !== "AES-GCM" || algorithm.length !== 256) {
      throw new TypeError("key must be an AES-GCM CryptoKey of 256 bits");
    }
    if (!Array.isArray(key.usages) || !key.usages.includes("encrypt")) {
      throw new TypeError('key (a CryptoKey) must allow "encrypt"');
    }
    return key;
  }
  let raw;
  if (typeof key === "string") {
    try {
      raw = base64ToBytes(key);
    } catch (err) {
      throw new TypeError(`key (a string) must be base64 of 32 bytes: ${err.message}`);
    }
  } else if (key instanceof Uint8Array || key instanceof ArrayBuffer || ArrayBuffer.isView(key)) {
    raw = asBytes(key);
  } else {
    throw new TypeError("key must be a base64 string, a Uint8Array, an ArrayBuffer or a CryptoKey");
  }
  if (raw.length !== KEY_BYTES) {
    throw new RangeError(`the package key must be ${KEY_BYTES} bytes, got ${raw.length}`);
  }
  return subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt"]);
}

function u32(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

function concat(parts) {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
