package org.isos.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * One of the ISOS apps the CLI ships unsigned ({@code apps/<jar>} beside its {@code lib/}) for the verbs that
 * lease hosts for it ({@code backup}, {@code job}, {@code stream}): hosts admit only a bundle signed by the lease's
 * buyer, so the buyer's key signs it — once per app build and key, kept in {@code HOME/<dir>/}, so the bundle's
 * hash (and the server's copy) stays the same from one run to the next.
 *
 * @param what the app as messages name it ({@code backup}, {@code compute}, {@code streaming})
 * @param jar the file name under {@code apps/}
 * @param dir where in HOME the signed copy is kept
 */
record ShippedApp(String what, String jar, String dir) {

    /** {@code override}, else {@code apps/<jar>} beside the CLI's {@code lib/}, else the checkout's build. */
    Path unsigned(Path override) {
        List<Path> candidates = new ArrayList<>();
        if (override != null) {
            candidates.add(override);
        } else {
            try {
                Path code = Path.of(ShippedApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                candidates.add(code.getParent().resolveSibling("apps").resolve(jar));
            } catch (URISyntaxException | RuntimeException e) {
                // no usable code source (an unusual class loader): the checkout's copy may still be there
            }
            String root = System.getProperty("isos.root");
            if (root != null) {
                candidates.add(Path.of(root, "isos.cli", "target", "cli", "apps", jar));
            }
        }
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new CliFailure("no " + what + " app to lease hosts with (looked at " + candidates + "): build the CLI"
                + " distribution (mvn -pl isos.cli install)" + (override == null ? "" : " or pass another --app"));
    }

    /** {@code --key} as a key store file or a key name in HOME, or else the only {@code *.p12} in HOME. */
    Path keyFile(String key, Path home, CommandSpec spec) {
        if (key != null) {
            if (key.endsWith(".p12") || key.contains("/")) {
                Path f = Path.of(key);
                if (!Files.isRegularFile(f)) {
                    throw new CliFailure("no key store " + f);
                }
                return f;
            }
            if (!SigningKey.NAME.matcher(key).matches()) {
                throw new ParameterException(spec.commandLine(), "--key is a key name or a .p12 file, not '" + key + "'");
            }
            Path f = home.resolve(key + ".p12");
            if (!Files.isRegularFile(f)) {
                throw new CliFailure("no key store " + f + ": the " + what + " app runs on hosts under your signature;"
                        + " make a key with `isos keys new " + key + "` first");
            }
            return f;
        }
        List<Path> keys;
        try (Stream<Path> files = Files.list(home)) {
            keys = files.filter(f -> f.getFileName().toString().endsWith(".p12")).sorted().toList();
        } catch (IOException e) {
            keys = List.of();
        }
        if (keys.isEmpty()) {
            throw new CliFailure("no signing key in " + home + ": the " + what + " app runs on hosts under your signature;"
                    + " make a key with `isos keys new NAME` first");
        }
        if (keys.size() > 1) {
            throw new ParameterException(spec.commandLine(), "several keys in " + home + " ("
                    + keys.stream().map(p -> p.getFileName().toString()).toList() + "): pass --key NAME");
        }
        return keys.get(0);
    }

    /**
     * Signs {@code unsigned} with the key in {@code keyFile} unless the kept signed copy is newer than both,
     * uploads the signed copy and returns its SHA-256 as the server knows it.
     */
    String signAndUpload(ServerConnection connection, Path unsigned, Path keyFile, Path home, char[] password,
            Consumer<String> progress) {
        String alias = keyFile.getFileName().toString().replaceFirst("\\.p12$", "");
        String base = jar.replaceFirst("\\.jar$", "");
        Path signed = home.resolve(dir).resolve(base + "-" + alias + ".jar");
        try {
            if (!Files.isRegularFile(signed)
                    || Files.getLastModifiedTime(signed).compareTo(Files.getLastModifiedTime(unsigned)) < 0
                    || Files.getLastModifiedTime(signed).compareTo(Files.getLastModifiedTime(keyFile)) < 0) {
                SigningKey signing = SigningKey.load(keyFile, alias, password);
                Files.createDirectories(signed.getParent());
                // replace: a jar someone signed already must carry only the buyer's signature to be admitted
                BundleSigner.sign(unsigned, signed, signing, true);
                progress.accept("signed the " + what + " app with key '" + alias + "' (" + signed + ")");
            }
            JsonNode uploaded = connection.post("/v1/bundles", Files.readAllBytes(signed), "application/java-archive");
            JsonNode sha = uploaded.get("sha256");
            if (sha == null || !sha.isTextual()) {
                throw new CliFailure("the server's answer to the upload has no sha256: " + uploaded);
            }
            return sha.textValue();
        } catch (ServerConnection.Refused e) {
            throw new CliFailure("the server refused the " + what + " app: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CliFailure("cannot sign the " + what + " app into " + signed + ": " + e.getMessage(), e);
        }
    }
}
