/*
 * Test harness for sdk/java/FaceSaasClient.java (run by tests/sdk/test_java_client.py): calls
 * every endpoint of a live server and prints one JSON line per call, {"call": name, "response":
 * the response object} or {"call": name, "error": {"rtn", "http_status", "message"}}.
 *
 *     java AllEndpoints config.json face1.jpg face2.jpg idcard.png package.b64
 */

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;

public final class AllEndpoints {

    private interface Call {
        Map<String, Object> run() throws Exception;
    }

    private static Map<String, Object> report(String name, Call call) throws Exception {
        Map<String, Object> line = new LinkedHashMap<String, Object>();
        line.put("call", name);
        Map<String, Object> response = null;
        try {
            response = call.run();
            line.put("response", response);
        } catch (FaceSaasClient.ApiException exc) {
            Map<String, Object> error = new LinkedHashMap<String, Object>();
            error.put("rtn", exc.rtn);
            error.put("http_status", exc.httpStatus);
            error.put("message", exc.apiMessage);
            error.put("request_id", exc.requestId);
            line.put("error", error);
        }
        System.out.println(FaceSaasClient.Json.write(line));
        return response;
    }

    private static Map<String, Object> options(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<String, Object>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    public static void main(String[] args) throws Exception {
        final FaceSaasClient client = FaceSaasClient.fromConfig(new File(args[0]));
        final byte[] face1 = FaceSaasClient.readFile(new File(args[1]));
        final byte[] face2 = FaceSaasClient.readFile(new File(args[2]));
        final byte[] card = FaceSaasClient.readFile(new File(args[3]));
        final String imagePackage = new String(FaceSaasClient.readFile(new File(args[4])), "US-ASCII").trim();

        Map<String, Object> extracted = report("feature_extraction", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.featureExtraction(face1, 3, options("auto_rotate", true));
            }
        });
        final String feature = (String) extracted.get("feature");
        report("pair_verify", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.pairVerify(face1, face2, 1, "99.99");
            }
        });
        report("pair_verify_feature", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.facePairVerification(options("query_image_feature", feature,
                        "database_image_content", FaceSaasClient.base64(face2), "database_image_type", 1));
            }
        });
        report("register_image", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.registerInRepo("javarepo", "u1", 2, face1, options("name", "张三", "note", "quote\" and \\ \n"));
            }
        });
        report("register_feature", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.registerFeatureInRepo("javarepo", "u2", 2, feature);
            }
        });
        report("register_duplicate", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.registerFeatureInRepo("javarepo", "u2", 2, feature);
            }
        });
        report("retrieval", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.retrievalInRepo(2, "javarepo", face2, options("return_topk_face", 2));
            }
        });
        report("delete", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.deleteFromRepo("javarepo", "u1", 2);
            }
        });
        report("retrieval_after_delete", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.retrievalInRepo(2, "javarepo", face2, options("return_topk_face", 2));
            }
        });
        report("check_image_package", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.checkImagePackage(imagePackage, options("query_image_package_check_same_person", true));
            }
        });
        report("ocr", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.ocr(card, 1, options("ocr_mode", 1, "auto_rotate", true));
            }
        });
        report("distinguish", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.distinguish(card, 1, null);
            }
        });
        report("license_classification", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.licenseClassification(card, null);
            }
        });
        report("not_an_image", new Call() {
            public Map<String, Object> run() throws Exception {
                return client.featureExtraction("not an image".getBytes("US-ASCII"), 3, null);
            }
        });
    }
}
