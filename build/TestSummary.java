import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Prints how many tests ran in each suite of the build (Surefire reports and bnd-testing reports,
 * one suite per module or per bndrun), and fails when a suite with test sources ran none or any
 * test failed. Run by ./isos test after mvn verify: java build/TestSummary.java ROOT
 */
public class TestSummary {

    private static final Pattern SUITE = Pattern.compile(
            "<testsuite\\b[^>]*?\\btests=\"(\\d+)\"[^>]*>", Pattern.DOTALL);

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        Map<String, int[]> suites = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.filter(Files::isDirectory).sorted().toList()) {
                collect(module, suites, problems);
                if (!Files.exists(module.resolve("pom.xml"))) {
                    try (Stream<Path> nested = Files.list(module)) {
                        for (Path sub : nested.filter(Files::isDirectory).sorted().toList()) {
                            collect(sub, suites, problems);
                        }
                    }
                }
            }
        }
        int total = 0;
        int failed = 0;
        System.out.println();
        System.out.println("Test suites");
        for (Map.Entry<String, int[]> e : suites.entrySet()) {
            int[] c = e.getValue();
            System.out.printf("  %-48s %5d tests  %3d failed  %3d skipped%n", e.getKey(), c[0], c[1], c[2]);
            total += c[0];
            failed += c[1];
            if (c[0] == 0) {
                problems.add(e.getKey() + " ran no test");
            }
        }
        System.out.println();
        System.out.println((total - failed) + " passed, " + failed + " failed");
        if (failed > 0) {
            problems.add(failed + " test(s) failed");
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.out.println("FAIL: " + p));
            System.exit(1);
        }
    }

    private static void collect(Path module, Map<String, int[]> suites, List<String> problems) throws IOException {
        if (!Files.exists(module.resolve("pom.xml"))) {
            return;
        }
        String name = module.getFileName().toString();
        boolean hasTests = Files.isDirectory(module.resolve("src/test/java"));
        Path surefire = module.resolve("target/surefire-reports");
        Path bnd = module.resolve("target/test-reports");
        if (Files.isDirectory(bnd)) {
            try (Stream<Path> runs = Files.list(bnd)) {
                for (Path run : runs.filter(Files::isDirectory).sorted().toList()) {
                    suites.put(name + " [" + run.getFileName() + "]", count(run));
                }
            }
        } else if (Files.isDirectory(surefire)) {
            suites.put(name, count(surefire));
        } else if (hasTests) {
            suites.put(name, new int[3]);
        }
    }

    private static int[] count(Path reports) throws IOException {
        int[] c = new int[3];
        try (Stream<Path> files = Files.list(reports)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).toList()) {
                String xml = Files.readString(f);
                Matcher m = SUITE.matcher(xml);
                if (m.find()) {
                    String tag = m.group();
                    c[0] += attribute(tag, "tests");
                    c[1] += attribute(tag, "failures") + attribute(tag, "errors");
                    c[2] += attribute(tag, "skipped");
                }
            }
        }
        return c;
    }

    private static int attribute(String tag, String name) {
        Matcher m = Pattern.compile("\\b" + name + "=\"(\\d+)\"").matcher(tag);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
