package org.isos.demo;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code ./isos demo [--hosts N] [--data DIR]}: plays {@link MarysDay} on a fresh local world, prints the
 * report and writes it as HTML; exits 0 only if every check held (1 otherwise, 2 on a usage error).
 */
public final class Demo {

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("isos.root", ".")).toAbsolutePath().normalize();
        Path data = root.resolve("target/demo");
        int hosts = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
            case "--help", "-h" -> {
                System.out.println("usage: ./isos demo [--hosts N] [--data DIR]");
                System.out.println("  Mary's day on a local world (a server and N host agents, default 8, 6 to 16): the cast opens");
                System.out.println("  accounts, a biotech lab runs a Mersenne search and a gene match on leased hosts, Mary's files");
                System.out.println("  are backed up as encrypted fragments and restored, Mary's desktop pauses its ISOS work while");
                System.out.println("  she uses it, leases end and bundles are uninstalled, usage is paid. Every step is checked;");
                System.out.println("  the report goes to the terminal and to DIR/report.html (default DIR: target/demo).");
                return;
            }
            case "--hosts" -> {
                String value = value(args, ++i, "--hosts");
                try {
                    hosts = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    usage("--hosts must be a whole number, not '" + value + "'");
                }
            }
            case "--data" -> data = Path.of(value(args, ++i, "--data")).toAbsolutePath().normalize();
            default -> usage("unknown option '" + args[i] + "'");
            }
        }
        if (hosts < 6 || hosts > 16) {
            usage("--hosts must be 6 to 16 (the backup alone spreads over six hosts), not " + hosts);
        }
        if (Files.exists(data)) {
            try (var walk = Files.walk(data)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(data);
        Progress progress = new Progress(System.out);
        MarysDay day = new MarysDay(root, data, hosts, progress);
        int status = 0;
        try {
            day.play();
        } catch (Exception e) {
            String why = e instanceof DemoFailure ? e.getMessage() : e.toString();
            day.report.failed(why);
            System.err.println("isos demo: FAILED: " + why);
            if (!(e instanceof DemoFailure)) {
                e.printStackTrace();
            }
            System.err.println("isos demo: the world's log: " + data.resolve("dev.log") + " and " + data.resolve("world"));
            status = 1;
        }
        day.report.print(System.out);
        Path html = data.resolve("report.html");
        day.report.writeHtml(html);
        System.out.println();
        System.out.println("isos demo: report " + html + " (" + String.format("%.0f", progress.seconds()) + " s in all)");
        System.exit(status);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            usage(option + " needs a value");
        }
        return args[i];
    }

    private static void usage(String message) {
        System.err.println("isos demo: " + message);
        System.err.println("see './isos demo --help'");
        System.exit(2);
    }
}
