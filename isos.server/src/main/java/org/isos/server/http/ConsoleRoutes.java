package org.isos.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The web console: static files (HTML, JavaScript modules, CSS) from the bundle's
 * {@code org/isos/server/console/}, served on the API's port under {@code /console/}. The page calls the JSON
 * API with the token the user types in; nothing is rendered on the server. Every answer carries a strict
 * Content-Security-Policy (own scripts and styles only, no inline code, no frames, API calls to this origin
 * only) and the usual hardening headers, so a script injected through data shown on the page cannot run.
 */
final class ConsoleRoutes {

    static final String ROOT = "/console/";
    static final String ASSET_ROUTE = "/console/{asset}";
    static final Pattern ASSET_PATH = Pattern.compile("/console/([a-z0-9-]{1,40}\\.(js|css|svg))");
    /** The files the console is made of (a bundle's class loader cannot list a directory). */
    static final String[] FILES = { "index.html", "console.js", "api.js", "charts.js", "views.js", "console.css",
            "icon.svg" };
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                    + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer",
            "Strict-Transport-Security", "max-age=31536000",
            "Cross-Origin-Opener-Policy", "same-origin",
            "Cross-Origin-Resource-Policy", "same-origin",
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()",
            "Cache-Control", "no-cache");

    private final Map<String, ApiResponse> files = new LinkedHashMap<>();

    ConsoleRoutes() throws IOException {
        for (String name : FILES) {
            try (InputStream in = ConsoleRoutes.class.getResourceAsStream("/org/isos/server/console/" + name)) {
                if (in == null) {
                    throw new IOException("the bundle lacks org/isos/server/console/" + name);
                }
                files.put(name, new ApiResponse(200, contentType(name), in.readAllBytes(), SECURITY_HEADERS, false));
            }
        }
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(ASSET_PATH, ASSET_ROUTE);
        routes.route("GET", "/console", r -> new ApiResponse(301, "text/plain; charset=utf-8",
                "see /console/\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                merged(Map.of("Location", ROOT)), false));
        routes.route("GET", ROOT, r -> files.get("index.html"));
        routes.route("GET", ASSET_ROUTE, this::asset);
    }

    private ApiResponse asset(ApiRequest request) throws ApiException {
        Matcher path = ASSET_PATH.matcher(request.path());
        ApiResponse file = path.matches() ? files.get(path.group(1)) : null;
        if (file == null) {
            throw new ApiException(404, "the console has no file " + request.path());
        }
        return file;
    }

    private static Map<String, String> merged(Map<String, String> more) {
        Map<String, String> all = new LinkedHashMap<>(SECURITY_HEADERS);
        all.putAll(more);
        return all;
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return "image/svg+xml";
    }
}
