/*
 * The manual's step 7.2: compare two photos through the signed API and print "check ok" when the
 * service says they show the same person.
 *
 *     javac FaceSaasClient.java SampleCodeV1PairVerify.java
 *     java SampleCodeV1PairVerify config.json selfie.jpg id_photo.jpg [database_image_type]
 *
 * config.json holds the AccessID and AccessKey (step 7.2 (3)), the service URL and the server's
 * public key: {"url": "http://127.0.0.1:9500", "access_id": "...", "access_key": "...",
 * "public_key_file": "server_public.pem"}. Exit code 0 with "check ok"; 1 with "check failed"
 * and the reason otherwise; 2 for wrong arguments.
 */

import java.io.File;
import java.util.Map;

public final class SampleCodeV1PairVerify {

    private SampleCodeV1PairVerify() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: java SampleCodeV1PairVerify config.json query.jpg database.jpg [database_image_type]");
            System.exit(2);
        }
        FaceSaasClient client = FaceSaasClient.fromConfig(new File(args[0]));
        byte[] query = FaceSaasClient.readFile(new File(args[1]));
        byte[] database = FaceSaasClient.readFile(new File(args[2]));
        int databaseImageType = args.length == 4 ? Integer.parseInt(args[3]) : 1;
        try {
            Map<String, Object> result = client.pairVerify(query, database, databaseImageType, "99.99");
            Object verdict = result.get("pair_verify_result");
            if (verdict instanceof Number && ((Number) verdict).intValue() == 0) {
                System.out.println("check ok");
                System.out.println("pair_verify_similarity " + result.get("pair_verify_similarity")
                        + ", global_request_id " + result.get("global_request_id"));
                return;
            }
            System.out.println("check failed: not the same person (pair_verify_similarity "
                    + result.get("pair_verify_similarity") + ")");
        } catch (FaceSaasClient.ApiException exc) {
            System.out.println("check failed: " + exc.getMessage());
        }
        System.exit(1);
    }
}
