package io.tunnelops.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The operator and sshd must read a host string the same way. sshd hands a PermitOpen host to glibc; so for thousands
 * of generated strings (and the seed corpus kept beside this test) the operator's verdict is compared with what glibc
 * itself says, through Python's socket module: getaddrinfo with AI_NUMERICHOST and inet_aton.
 */
class HostSyntaxDifferentialTest {

    private static final Path CORPUS = Path.of("src/test/resources/host-strings");

    @Test
    void everyNameIsRefusedAsANumberByGlibcAndEveryNumberGetsTheAddressRules() throws Exception {
        List<String> hosts = new ArrayList<>(corpus());
        List<String[]> glibc = glibcVerdicts(hosts);

        int names = 0;
        int addresses = 0;
        int refusedNumbers = 0;
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            String host = hosts.get(i);
            String numericV4 = glibc.get(i)[0];
            String numericAny = glibc.get(i)[1];
            String inetAton = glibc.get(i)[2];
            String glibcAddress = !numericV4.equals("-") ? numericV4 : !inetAton.equals("-") ? inetAton : null;
            HostSyntax.Host verdict;
            try {
                verdict = HostSyntax.parse(host);
            } catch (InvalidHostException refused) {
                if (glibcAddress != null) {
                    refusedNumbers++;
                    // where the message names the address meant, it is the one glibc reads
                    String meant = refused.getMessage().startsWith("is ") ? refused.getMessage().split(" ")[1] : null;
                    if (meant != null && meant.matches("[0-9.]+") && !meant.equals(glibcAddress)) {
                        disagreements.add(show(host) + ": operator says " + meant + ", glibc " + glibcAddress);
                    }
                }
                continue;
            }
            if (verdict.isAddress()) {
                addresses++;
                if (!verdict.text().equals(numericV4) || !verdict.text().equals(inetAton) || !verdict.text().equals(numericAny)) {
                    disagreements.add(show(host) + ": operator reads address " + verdict.text() + ", glibc "
                            + String.join("/", glibc.get(i)));
                }
            } else {
                names++;
                if (!numericV4.equals("-") || !numericAny.equals("-") || !inetAton.equals("-")) {
                    disagreements.add(show(host) + ": operator takes it for a name, glibc reads "
                            + String.join("/", glibc.get(i)));
                }
                // a name must not even look like a number to a URL parser (WHATWG "ends in a number")
                String last = verdict.text().substring(verdict.text().lastIndexOf('.') + 1);
                if (last.matches("[0-9]+|0x[0-9a-f]*")) {
                    disagreements.add(show(host) + ": accepted as a name but ends in a number");
                }
            }
        }
        assertEquals(List.of(), disagreements, "operator and glibc disagree");
        // the corpus covers each class well, so this test cannot pass by accepting or refusing everything
        assertTrue(hosts.size() >= 5000, "corpus of " + hosts.size());
        assertTrue(names >= 500, names + " names");
        assertTrue(addresses >= 500, addresses + " canonical addresses");
        assertTrue(refusedNumbers >= 1000, refusedNumbers + " numeric forms refused");
    }

    private static String show(String host) {
        return "\"" + host + "\"";
    }

    /** The seed corpus plus strings generated from a fixed seed: numeric forms in every base and part count, and names. */
    static Set<String> corpus() throws IOException {
        Set<String> hosts = new LinkedHashSet<>(Files.readAllLines(CORPUS.resolve("seed.txt"), StandardCharsets.UTF_8));
        Random random = new Random(20261130);
        long[] interesting = {0x7f000001L, 0xa9fea9feL, 0L, 0xffffffffL, 0x0a000005L, 0xcb00710aL, 0x7f7f7f7fL,
                0xa9fe0001L, 0x00000001L, 0x01020304L, 0xfd00ec02L, 0x64400001L};
        for (int i = 0; i < 6000; i++) {
            long address = random.nextInt(3) == 0 ? interesting[random.nextInt(interesting.length)]
                    : random.nextLong() & 0xffffffffL;
            hosts.add(numericForm(address, random));
        }
        String[] labels = {"db", "corp", "example", "internal", "xn--bcher-kva", "a", "z9", "0x", "0xff", "0x1g", "1a",
                "a1", "123", "0", "00", "09", "1e3", "cluster", "local", "svc", "metadata", "localhost", "-a", "a-",
                "x".repeat(63), "y".repeat(64), "DB", "Corp", "0XAB", "0Xg"};
        for (int i = 0; i < 3000; i++) {
            StringBuilder name = new StringBuilder();
            int count = 1 + random.nextInt(4);
            for (int j = 0; j < count; j++) {
                if (j > 0) {
                    name.append('.');
                }
                name.append(random.nextInt(4) == 0 ? Long.toString(random.nextInt(300), 10 + random.nextInt(27))
                        : labels[random.nextInt(labels.length)]);
            }
            hosts.add(mangle(name.toString(), random));
        }
        hosts.add("a." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63) + "." + "e".repeat(57));
        hosts.add("a." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63) + "." + "e".repeat(58));
        return hosts;
    }

    /** One way glibc's inet_aton could read {@code address}: 1 to 4 parts, each decimal, octal or hex. */
    private static String numericForm(long address, Random random) {
        int parts = random.nextInt(8) < 5 ? 4 : 1 + random.nextInt(4);
        List<Long> values = new ArrayList<>();
        for (int i = 0; i < parts - 1; i++) {
            values.add(address >>> (24 - 8 * i) & 0xff);
        }
        values.add(address & ((1L << (8 * (5 - parts))) - 1));
        if (random.nextInt(10) == 0) {
            int k = random.nextInt(values.size());
            values.set(k, values.get(k) + 256L * (1 + random.nextInt(3))); // out of range for its place
        }
        StringBuilder text = new StringBuilder();
        boolean canonical = random.nextInt(3) == 0;
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                text.append('.');
            }
            long v = values.get(i);
            int base = canonical ? 0 : random.nextInt(5);
            switch (base) {
                case 1 -> text.append("0").append(Long.toOctalString(v));
                case 2 -> text.append(random.nextBoolean() ? "0x" : "0X")
                        .append(random.nextBoolean() ? Long.toHexString(v) : Long.toHexString(v).toUpperCase(Locale.ROOT));
                case 3 -> text.append("0".repeat(1 + random.nextInt(3))).append(v); // leading zeros: octal to glibc
                default -> text.append(v);
            }
        }
        return mangle(text.toString(), random);
    }

    /** Now and then, the edits a hand or a tool makes: trailing dots, empty parts, case, stray characters. */
    private static String mangle(String text, Random random) {
        return switch (random.nextInt(24)) {
            case 0 -> text + ".";
            case 1 -> "." + text;
            case 2 -> text.replaceFirst("\\.", "..");
            case 3 -> text.toUpperCase(Locale.ROOT);
            case 4 -> text + " ";
            case 5 -> text + "\tx";
            case 6 -> "%3" + text;
            case 7 -> text.replace('1', '\uff11'); // full-width digit one
            case 8 -> text.replace('7', '\u0667'); // Arabic-Indic seven
            case 9 -> text + ".example";
            case 10 -> "x" + text;
            case 11 -> text.replace(".", "\u3002"); // ideographic full stop
            default -> text;
        };
    }

    /** For each host, glibc's answers: [getaddrinfo AF_INET numeric, getaddrinfo AF_UNSPEC numeric, inet_aton]. */
    private static List<String[]> glibcVerdicts(List<String> hosts) throws Exception {
        Process python;
        try {
            python = new ProcessBuilder("python3", CORPUS.resolve("glibc_verdict.py").toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            fail("python3 is needed to ask glibc (apt-get install python3); bash .ci/run installs it: " + e.getMessage());
            return List.of();
        }
        try (var stdin = python.getOutputStream()) {
            stdin.write((String.join("\n", hosts) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(python.waitFor(60, TimeUnit.SECONDS), "glibc helper did not finish");
        assertEquals(0, python.exitValue(), "glibc helper failed");
        List<String[]> verdicts = output.lines().map(l -> l.split("\t")).toList();
        assertEquals(hosts.size(), verdicts.size(), "one verdict per host");
        return verdicts;
    }
}
