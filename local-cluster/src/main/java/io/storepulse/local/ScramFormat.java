package io.storepulse.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code kafka-storage format --add-scram} without the passwords on a command line: reads each
 * user's password from a file and calls {@code kafka.tools.StorageTool} in this JVM.
 *
 * <p>SCRAM credentials created at format time (KIP-900) exist before the broker first starts, so
 * its own inter-broker connections over SASL_SSL can authenticate. Run on Kafka's classpath plus
 * this jar (it uses nothing else):
 *
 * <pre>
 * java -cp storepulse-local-cluster.jar:kafka-libs/* io.storepulse.local.ScramFormat \
 *     SCRAM-SHA-512 admin=/secrets/kafka-admin.password app=/secrets/app.password \
 *     -- format -t CLUSTER_ID -c server.properties
 * </pre>
 */
public final class ScramFormat {

    private ScramFormat() {}

    public static void main(String[] args) throws Exception {
        int split = Arrays.asList(args).indexOf("--");
        if (split < 2) {
            System.err.println(
                    "usage: ScramFormat MECHANISM user=password-file... -- StorageTool-args...");
            System.exit(2);
        }
        String mechanism = args[0];
        List<String> storageArgs =
                new ArrayList<>(Arrays.asList(args).subList(split + 1, args.length));
        for (String userFile : Arrays.asList(args).subList(1, split)) {
            int eq = userFile.indexOf('=');
            String user = userFile.substring(0, eq);
            String password = Files.readString(Path.of(userFile.substring(eq + 1))).strip();
            storageArgs.add("--add-scram");
            storageArgs.add(
                    mechanism + "=[name=" + plain(user) + ",password=\"" + plain(password) + "\"]");
        }
        // execute() rather than main(): main() prints the bootstrap metadata, SCRAM salts and
        // keys included, to stdout; only the tool's last line (what it formatted) is kept.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int code;
        try (java.io.PrintStream print =
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8)) {
            code =
                    (Integer)
                            Class.forName("kafka.tools.StorageTool")
                                    .getMethod("execute", String[].class, java.io.PrintStream.class)
                                    .invoke(null, storageArgs.toArray(String[]::new), print);
        }
        out.toString(java.nio.charset.StandardCharsets.UTF_8)
                .lines()
                .filter(line -> !line.startsWith("Bootstrap metadata"))
                .forEach(System.out::println);
        System.exit(code);
    }

    /** The --add-scram syntax has no escapes: only characters that need none are accepted. */
    private static String plain(String value) throws IOException {
        if (!value.matches("[A-Za-z0-9._-]+")) {
            throw new IOException(
                    "SCRAM user names and passwords here may hold only letters, digits, '.', '_' and '-'");
        }
        return value;
    }
}
