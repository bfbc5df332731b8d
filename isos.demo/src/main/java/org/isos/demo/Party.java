package org.isos.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.isos.cli.Isos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One of the article's cast as the server knows them — Mary, the biotech lab, Acme Movies, the backup
 * company — with their token and their own {@code ISOS_HOME}; they act by running {@code isos} verbs,
 * in this process, exactly as they would type them.
 */
final class Party {

    static final ObjectMapper JSON = new ObjectMapper();

    /** What one verb did. */
    record Run(String command, int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new DemoFailure("'" + command + "' printed no JSON: " + out + err);
            }
        }

        Run ok() {
            if (exit != 0) {
                throw new DemoFailure("'" + command + "' failed (exit " + exit + "): " + (err + out).strip());
            }
            return this;
        }
    }

    final String name;
    final String kind;
    final String id;
    final Map<String, String> env;

    Party(String name, String kind, String id, String server, String token, Path home) {
        this.name = name;
        this.kind = kind;
        this.id = id;
        Map<String, String> e = new LinkedHashMap<>();
        e.put("ISOS_SERVER", server);
        e.put("ISOS_TOKEN", token);
        e.put("ISOS_HOME", home.toString());
        this.env = Map.copyOf(e);
    }

    Path home() {
        return Path.of(env.get("ISOS_HOME"));
    }

    String token() {
        return env.get("ISOS_TOKEN");
    }

    /** Runs {@code isos args…} as this party. */
    Run isos(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            exit = Isos.execute(args, env, o, e);
        }
        return new Run("isos " + String.join(" ", args), exit, out.toString(), err.toString());
    }

    /** A new account of {@code kind} on the server of {@code admin}'s world, with its own home holding the CA. */
    static Party create(Party anyone, String kind, String name, Path homes) throws IOException {
        JsonNode created = anyone.isos("accounts", "create", "--token", anyone.token(), "--kind", kind, "--name", name,
                "--json").ok().json();
        Path home = homes.resolve(name);
        Files.createDirectories(home);
        Files.copy(anyone.home().resolve("ca.pem"), home.resolve("ca.pem"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return new Party(name, kind, created.path("id").asText(), anyone.env.get("ISOS_SERVER"),
                created.path("token").asText(), home);
    }
}
