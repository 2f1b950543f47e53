/*
 * FaceSaaS Java client: one file, the JDK only (Java 8 or newer), no dependencies.
 *
 * Signs every request as the manual's 7.3.1 says and calls every endpoint of the service:
 *
 *     FaceSaasClient client = FaceSaasClient.fromConfig(new File("config.json"));
 *     Map<String, Object> result = client.pairVerify(selfieJpeg, idPhotoJpeg, 1, "99.99");
 *     Long same = (Long) result.get("pair_verify_result");   // 0: same person, 1: not
 *
 * x-signature = lowercase hex of RSA-PKCS#1-v1.5-encrypt(content, server public key), content =
 * AccessKey (32 B) | lowercase hex MD5 of the exact body bytes (32 B) | Unix time in seconds,
 * 4 bytes big-endian | 8 random bytes | up to 41 bytes of customer content.
 *
 * Responses are returned as parsed JSON (Map, List, String, Long, Double, Boolean, null);
 * a response with rtn < 0 throws FaceSaasClient.ApiException carrying rtn, message, HTTP status
 * and global_request_id. Images are raw JPEG/PNG bytes; the client base64-encodes them.
 * Instances are safe to share between threads.
 */

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.Charset;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Cipher;

public final class FaceSaasClient {

    public static final String EXTRACTION_PATH = "/face/v1/algorithm/recognition/feature_extraction";
    public static final String VERIFICATION_PATH = "/face/v1/algorithm/recognition/face_pair_verification";
    public static final String REGISTER_PATH = "/face/basic/register_in_repo";
    public static final String RETRIEVAL_PATH = "/face/basic/retrieval_in_repo";
    public static final String PACKAGE_PATH = "/face/basic/check_image_package";
    public static final String OCR_PATH = "/face/basic/ocr";
    public static final String DISTINGUISH_PATH = "/face/basic/distinguish";
    public static final String CLASSIFICATION_PATH = "/face/basic/license_classification";

    private static final Charset UTF8 = Charset.forName("UTF-8");
    private static final Charset ASCII = Charset.forName("US-ASCII");
    private static final int ACCESS_KEY_BYTES = 32;
    private static final int MAX_CUSTOM_BYTES = 41;

    private final String baseUrl;
    private final String accessId;
    private final byte[] accessKey;
    private final PublicKey publicKey;
    private final byte[] customContent;
    private final SecureRandom random = new SecureRandom();
    private volatile int timeoutMillis = 60000;

    /** An error answer of the service (rtn < 0), or a response that was not the service's JSON. */
    public static final class ApiException extends Exception {
        private static final long serialVersionUID = 1L;
        public final long rtn;
        public final int httpStatus;
        public final String apiMessage;
        public final String requestId;

        ApiException(long rtn, String apiMessage, int httpStatus, String requestId) {
            super("rtn " + rtn + " (HTTP " + httpStatus + "): " + apiMessage + " [request " + requestId + "]");
            this.rtn = rtn;
            this.apiMessage = apiMessage;
            this.httpStatus = httpStatus;
            this.requestId = requestId;
        }
    }

    /**
     * @param baseUrl      e.g. "http://127.0.0.1:9500"
     * @param accessId     the AccessID (at most 16 bytes)
     * @param accessKey    the 32-character AccessKey
     * @param publicKeyPem the server's RSA public key, PEM "BEGIN PUBLIC KEY" (X.509 SubjectPublicKeyInfo)
     */
    public FaceSaasClient(String baseUrl, String accessId, String accessKey, String publicKeyPem) throws GeneralSecurityException {
        this(baseUrl, accessId, accessKey, publicKeyPem, new byte[0]);
    }

    /** As above, with up to 41 bytes of customer content added to every signature. */
    public FaceSaasClient(String baseUrl, String accessId, String accessKey, String publicKeyPem, byte[] customContent)
            throws GeneralSecurityException {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.accessId = accessId;
        this.accessKey = accessKey.getBytes(ASCII);
        if (this.accessKey.length != ACCESS_KEY_BYTES) {
            throw new IllegalArgumentException("AccessKey must be " + ACCESS_KEY_BYTES + " bytes");
        }
        if (customContent.length > MAX_CUSTOM_BYTES) {
            throw new IllegalArgumentException("customer content is limited to " + MAX_CUSTOM_BYTES + " bytes");
        }
        this.customContent = customContent.clone();
        this.publicKey = loadPublicKey(publicKeyPem);
    }

    /**
     * A client from a config.json as the manual's sample code uses (7.2 step 3):
     * {"url": ..., "access_id": ..., "access_key": ..., "public_key_file": path} or "public_key": PEM text.
     * A relative public_key_file is read next to the config file.
     */
    public static FaceSaasClient fromConfig(File config) throws IOException, GeneralSecurityException {
        Object parsed = Json.parse(new String(readFile(config), UTF8));
        if (!(parsed instanceof Map)) {
            throw new IOException(config + ": not a JSON object");
        }
        Map<?, ?> settings = (Map<?, ?>) parsed;
        String pem = (String) settings.get("public_key");
        if (pem == null) {
            Object path = settings.get("public_key_file");
            if (!(path instanceof String)) {
                throw new IOException(config + ": needs public_key or public_key_file");
            }
            File keyFile = new File((String) path);
            if (!keyFile.isAbsolute()) {
                keyFile = new File(config.getAbsoluteFile().getParentFile(), (String) path);
            }
            pem = new String(readFile(keyFile), ASCII);
        }
        for (String name : new String[] {"url", "access_id", "access_key"}) {
            if (!(settings.get(name) instanceof String)) {
                throw new IOException(config + ": needs \"" + name + "\" (a string)");
            }
        }
        return new FaceSaasClient((String) settings.get("url"), (String) settings.get("access_id"),
                (String) settings.get("access_key"), pem);
    }

    /** Read and write timeout of each call, milliseconds (default 60 000). */
    public void setTimeoutMillis(int timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    // ------------------------------------------------------------------ signing

    static PublicKey loadPublicKey(String pem) throws GeneralSecurityException {
        String body = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException exc) {
            throw new GeneralSecurityException("public key is not PEM base64", exc);
        }
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    }

    /** The plaintext content block for these exact body bytes, at Unix time {@code seconds}. */
    byte[] content(byte[] body, long seconds, byte[] nonce) throws GeneralSecurityException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ACCESS_KEY_BYTES + 44 + customContent.length);
        out.write(accessKey, 0, accessKey.length);
        byte[] digest = hex(MessageDigest.getInstance("MD5").digest(body)).getBytes(ASCII);
        out.write(digest, 0, digest.length);
        out.write((int) (seconds >>> 24) & 0xFF);  // 4 bytes, big-endian (network order)
        out.write((int) (seconds >>> 16) & 0xFF);
        out.write((int) (seconds >>> 8) & 0xFF);
        out.write((int) seconds & 0xFF);
        out.write(nonce, 0, nonce.length);
        out.write(customContent, 0, customContent.length);
        return out.toByteArray();
    }

    /** The x-signature header value for these exact body bytes (fresh time and random each call). */
    public String sign(byte[] body) throws GeneralSecurityException {
        byte[] nonce = new byte[8];
        random.nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        cipher.init(Cipher.ENCRYPT_MODE, publicKey, random);
        return hex(cipher.doFinal(content(body, System.currentTimeMillis() / 1000L, nonce)));
    }

    static String hex(byte[] bytes) {
        char[] digits = "0123456789abcdef".toCharArray();
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = digits[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = digits[bytes[i] & 0xF];
        }
        return new String(out);
    }

    // ------------------------------------------------------------------ transport

    /** POST these exact bytes, signed; the status and the response text. */
    public String[] postRaw(String path, byte[] body) throws IOException, GeneralSecurityException {
        HttpURLConnection connection = (HttpURLConnection) new URL(baseUrl + path).openConnection();
        try {
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setConnectTimeout(timeoutMillis);
            connection.setReadTimeout(timeoutMillis);
            connection.setRequestProperty("Content-Type", "application/json");
            connection.setRequestProperty("x-access-id", accessId);
            connection.setRequestProperty("x-signature", sign(body));
            OutputStream out = connection.getOutputStream();
            try {
                out.write(body);
            } finally {
                out.close();
            }
            int status = connection.getResponseCode();
            InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            String text = in == null ? "" : new String(readAll(in), UTF8);
            return new String[] {String.valueOf(status), text};
        } finally {
            connection.disconnect();
        }
    }

    /** Sign and POST a JSON object; the response object, or ApiException for rtn < 0. */
    public Map<String, Object> call(String path, Map<String, Object> payload)
            throws IOException, GeneralSecurityException, ApiException {
        String[] answer = postRaw(path, Json.write(payload).getBytes(UTF8));
        int status = Integer.parseInt(answer[0]);
        Object parsed;
        try {
            parsed = Json.parse(answer[1]);
        } catch (IllegalArgumentException exc) {
            throw new ApiException(-5000, "non-JSON response: " + abbreviate(answer[1]), status, "");
        }
        if (!(parsed instanceof Map)) {
            throw new ApiException(-5000, "response is not a JSON object: " + abbreviate(answer[1]), status, "");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) parsed;
        Object rtn = data.get("rtn");
        long code = rtn instanceof Number ? ((Number) rtn).longValue() : -5000;
        if (code < 0) {
            throw new ApiException(code, String.valueOf(data.get("message")), status, String.valueOf(data.get("global_request_id")));
        }
        return data;
    }

    // ------------------------------------------------------------------ endpoints

    /** CS201.1 feature extraction; {@code options}: auto_rotate, flip_image, max_faces_allowed, ... (may be null). */
    public Map<String, Object> featureExtraction(byte[] image, int imageType, Map<String, Object> options)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> payload = merge(options);
        payload.put("image_content", base64(image));
        payload.put("image_type", imageType);
        return call(EXTRACTION_PATH, payload);
    }

    /** CS202.2 verification with any of the manual's fields (query_image_content, database_image_feature, ...). */
    public Map<String, Object> facePairVerification(Map<String, Object> payload)
            throws IOException, GeneralSecurityException, ApiException {
        return call(VERIFICATION_PATH, payload);
    }

    /** CS202.2, image against image: {@code trueNegativeRate} "99.9", "99.99" or "99.999" (null: the default). */
    public Map<String, Object> pairVerify(byte[] queryImage, byte[] databaseImage, int databaseImageType, String trueNegativeRate)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> payload = new LinkedHashMap<String, Object>();
        payload.put("query_image_content", base64(queryImage));
        payload.put("database_image_content", base64(databaseImage));
        payload.put("database_image_type", databaseImageType);
        if (trueNegativeRate != null) {
            payload.put("true_negative_rate", trueNegativeRate);
        }
        return call(VERIFICATION_PATH, payload);
    }

    /** 102.1 upload (mode 1, an image): one face into repository {@code repoName}; description may be null. */
    public Map<String, Object> registerInRepo(String repoName, String userId, int label, byte[] image, Map<String, Object> description)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> info = userInfo(repoName, userId, label);
        info.put("image_content", base64(image));
        if (description != null) {
            info.put("description", description);
        }
        return call(REGISTER_PATH, register(1, info));
    }

    /** 102.1 upload (mode 2, a feature string from featureExtraction). */
    public Map<String, Object> registerFeatureInRepo(String repoName, String userId, int label, String feature)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> info = userInfo(repoName, userId, label);
        info.put("feature_content", feature);
        return call(REGISTER_PATH, register(2, info));
    }

    /** 102.1 delete (mode 3) of {@code userId} in {@code repoName}. */
    public Map<String, Object> deleteFromRepo(String repoName, String userId, int label)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> payload = new LinkedHashMap<String, Object>();
        payload.put("mode", 3);
        payload.put("user_info", userInfo(repoName, userId, label));
        return call(REGISTER_PATH, payload);
    }

    /** 103.1 search: {@code repoName} "" searches every repository of {@code label};
     *  {@code options}: true_negative_rate, return_topk_face, return_face_image, ... (may be null). */
    public Map<String, Object> retrievalInRepo(int label, String repoName, byte[] image, Map<String, Object> options)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> info = new LinkedHashMap<String, Object>();
        info.put("label", label);
        info.put("repo_name", repoName);
        info.put("image_content", base64(image));
        Map<String, Object> searchOptions = new LinkedHashMap<String, Object>();
        searchOptions.put("image_type", 301);
        searchOptions.putAll(merge(options));
        Map<String, Object> payload = new LinkedHashMap<String, Object>();
        payload.put("mode", 1);
        payload.put("user_info", info);
        payload.put("options", searchOptions);
        return call(RETRIEVAL_PATH, payload);
    }

    /** 101.3: open a liveness package (base64) and run checks; {@code options} are the manual's
     *  query_image_package_* fields, written in full (may be null). */
    public Map<String, Object> checkImagePackage(String imagePackage, Map<String, Object> options)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> payload = merge(options);
        payload.put("query_image_package", imagePackage);
        return call(PACKAGE_PATH, payload);
    }

    /** 105.1 OCR: {@code ocrType} 1 ID card, 2 driving licence, 3 vehicle licence; options: ocr_mode, auto_rotate. */
    public Map<String, Object> ocr(byte[] image, int ocrType, Map<String, Object> options)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> documentOptions = merge(options);
        documentOptions.put("ocr_type", ocrType);
        return call(OCR_PATH, document(image, documentOptions));
    }

    /** 105.2 authenticity: {@code distinguishType} 1 ID card, 2 driving licence; options: auto_rotate. */
    public Map<String, Object> distinguish(byte[] image, int distinguishType, Map<String, Object> options)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> documentOptions = merge(options);
        documentOptions.put("distinguish_type", distinguishType);
        return call(DISTINGUISH_PATH, document(image, documentOptions));
    }

    /** 105.3 classification: 1 ID front, 2 back, 3 both, -1 not an ID card; options: auto_rotate. */
    public Map<String, Object> licenseClassification(byte[] image, Map<String, Object> options)
            throws IOException, GeneralSecurityException, ApiException {
        Map<String, Object> documentOptions = merge(options);
        documentOptions.put("license_type", 1);
        return call(CLASSIFICATION_PATH, document(image, documentOptions));
    }

    private static Map<String, Object> userInfo(String repoName, String userId, int label) {
        Map<String, Object> info = new LinkedHashMap<String, Object>();
        info.put("user_id", userId);
        info.put("repo_name", repoName);
        info.put("label", label);
        return info;
    }

    private static Map<String, Object> register(int mode, Map<String, Object> info) {
        Map<String, Object> options = new LinkedHashMap<String, Object>();
        options.put("image_type", 1);
        Map<String, Object> payload = new LinkedHashMap<String, Object>();
        payload.put("mode", mode);
        payload.put("user_info", info);
        payload.put("options", options);
        return payload;
    }

    private static Map<String, Object> document(byte[] image, Map<String, Object> options) {
        Map<String, Object> info = new LinkedHashMap<String, Object>();
        info.put("image_content", base64(image));
        Map<String, Object> payload = new LinkedHashMap<String, Object>();
        payload.put("mode", 1);
        payload.put("user_info", info);
        payload.put("options", options);
        return payload;
    }

    private static Map<String, Object> merge(Map<String, Object> options) {
        Map<String, Object> copy = new LinkedHashMap<String, Object>();
        if (options != null) {
            copy.putAll(options);
        }
        return copy;
    }

    /** Standard base64 without line breaks (manual 7.3.2). */
    public static String base64(byte[] data) {
        return Base64.getEncoder().encodeToString(data);
    }

    public static byte[] readFile(File file) throws IOException {
        InputStream in = new FileInputStream(file);
        try {
            return readAll(in);
        } finally {
            in.close();
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        for (int n; (n = in.read(buffer)) != -1;) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    // ------------------------------------------------------------------ JSON

    /** Minimal JSON (RFC 8259): objects become LinkedHashMap, arrays ArrayList, integers Long,
     *  other numbers Double. write() accepts Map, Iterable, arrays of Object, CharSequence,
     *  Number, Boolean and null. */
    public static final class Json {
        private final String text;
        private int at;

        private Json(String text) {
            this.text = text;
        }

        public static Object parse(String text) {
            Json parser = new Json(text);
            parser.space();
            Object value = parser.value();
            parser.space();
            if (parser.at != text.length()) {
                throw parser.error("trailing characters");
            }
            return value;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JSON: " + what + " at offset " + at);
        }

        private void space() {
            while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
        }

        private boolean take(char expected) {
            if (at < text.length() && text.charAt(at) == expected) {
                at++;
                return true;
            }
            return false;
        }

        private Object value() {
            if (at >= text.length()) {
                throw error("unexpected end");
            }
            char c = text.charAt(at);
            if (c == '{') {
                return object();
            }
            if (c == '[') {
                return array();
            }
            if (c == '"') {
                return string();
            }
            if (text.startsWith("true", at)) {
                at += 4;
                return Boolean.TRUE;
            }
            if (text.startsWith("false", at)) {
                at += 5;
                return Boolean.FALSE;
            }
            if (text.startsWith("null", at)) {
                at += 4;
                return null;
            }
            return number();
        }

        private Map<String, Object> object() {
            Map<String, Object> map = new LinkedHashMap<String, Object>();
            at++;
            space();
            if (take('}')) {
                return map;
            }
            do {
                space();
                if (at >= text.length() || text.charAt(at) != '"') {
                    throw error("expected a key");
                }
                String key = string();
                space();
                if (!take(':')) {
                    throw error("expected ':'");
                }
                space();
                map.put(key, value());
                space();
            } while (take(','));
            if (!take('}')) {
                throw error("expected '}'");
            }
            return map;
        }

        private List<Object> array() {
            List<Object> list = new ArrayList<Object>();
            at++;
            space();
            if (take(']')) {
                return list;
            }
            do {
                space();
                list.add(value());
                space();
            } while (take(','));
            if (!take(']')) {
                throw error("expected ']'");
            }
            return list;
        }

        private String string() {
            StringBuilder out = new StringBuilder();
            at++;
            while (true) {
                if (at >= text.length()) {
                    throw error("unterminated string");
                }
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (at >= text.length()) {
                    throw error("unterminated escape");
                }
                char e = text.charAt(at++);
                switch (e) {
                    case '"': out.append('"'); break;
                    case '\\': out.append('\\'); break;
                    case '/': out.append('/'); break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'n': out.append('\n'); break;
                    case 'r': out.append('\r'); break;
                    case 't': out.append('\t'); break;
                    case 'u':
                        if (at + 4 > text.length()) {
                            throw error("short \\u escape");
                        }
                        try {
                            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        } catch (NumberFormatException exc) {
                            throw error("bad \\u escape");
                        }
                        at += 4;
                        break;
                    default:
                        throw error("bad escape");
                }
            }
        }

        private Object number() {
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            String token = text.substring(start, at);
            if (token.isEmpty()) {
                throw error("unexpected character");
            }
            try {
                if (token.indexOf('.') < 0 && token.indexOf('e') < 0 && token.indexOf('E') < 0) {
                    return Long.valueOf(token);
                }
                return Double.valueOf(token);
            } catch (NumberFormatException exc) {
                throw error("bad number " + token);
            }
        }

        public static String write(Object value) {
            StringBuilder out = new StringBuilder();
            write(value, out);
            return out.toString();
        }

        private static void write(Object value, StringBuilder out) {
            if (value == null) {
                out.append("null");
            } else if (value instanceof CharSequence) {
                quote(value.toString(), out);
            } else if (value instanceof Boolean) {
                out.append(value.toString());
            } else if (value instanceof Double || value instanceof Float) {
                double number = ((Number) value).doubleValue();
                if (Double.isNaN(number) || Double.isInfinite(number)) {
                    throw new IllegalArgumentException("JSON has no NaN or Infinity");
                }
                out.append(value.toString());
            } else if (value instanceof Number) {
                out.append(value.toString());
            } else if (value instanceof Map) {
                out.append('{');
                Iterator<? extends Map.Entry<?, ?>> entries = ((Map<?, ?>) value).entrySet().iterator();
                while (entries.hasNext()) {
                    Map.Entry<?, ?> entry = entries.next();
                    quote(String.valueOf(entry.getKey()), out);
                    out.append(':');
                    write(entry.getValue(), out);
                    if (entries.hasNext()) {
                        out.append(',');
                    }
                }
                out.append('}');
            } else if (value instanceof Iterable || value instanceof Object[]) {
                Iterable<?> items = value instanceof Iterable ? (Iterable<?>) value : java.util.Arrays.asList((Object[]) value);
                out.append('[');
                Iterator<?> iterator = items.iterator();
                while (iterator.hasNext()) {
                    write(iterator.next(), out);
                    if (iterator.hasNext()) {
                        out.append(',');
                    }
                }
                out.append(']');
            } else {
                throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
            }
        }

        private static void quote(String text, StringBuilder out) {
            out.append('"');
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else if (c < 0x20) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            out.append('"');
        }
    }
}
