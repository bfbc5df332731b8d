package org.isos.server.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

import org.isos.server.accounts.AccountRefused;
import org.isos.server.accounts.Signup;
import org.isos.server.accounts.SignupRefused;
import org.isos.server.accounts.Accounts;
import org.isos.server.bank.Bank;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.LedgerSeries;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.CertificateRefused;
import org.isos.server.directives.HostDirectives;
import org.isos.server.hosts.HostRefused;
import org.isos.server.hosts.Hosts;
import org.isos.server.jobs.Jobs;
import org.isos.server.leases.LeaseRefused;
import org.isos.server.leases.Leases;
import org.isos.server.repository.BundleRefused;
import org.isos.server.repository.Repository;
import org.isos.server.titles.Titles;

/**
 * The API's routes and what each does: plain Java over {@link ApiRequest} and {@link ApiResponse},
 * run on a worker thread (it may block on the store). Every refusal is an {@link ApiException} that
 * becomes {@code {"error": ..., "status": 4xx}}; anything else is a 500 with a reference, logged.
 */
final class ApiRoutes {

    private static final Logger LOG = Logger.getLogger(ApiRoutes.class.getName());

    @FunctionalInterface
    interface Endpoint {
        ApiResponse handle(ApiRequest request) throws Exception;
    }

    /** path → method → endpoint; paths are matched exactly, but for {@link #patterns}. */
    private final Map<String, Map<String, Endpoint>> routes = new LinkedHashMap<>();
    /** The pattern routes: a path matching one is served by that route's template. */
    private final List<PatternRoute> patterns = new ArrayList<>();

    /**
     * A pattern route with the literal text its pattern begins and ends with: a path that lacks either is not
     * run through the regex (every heartbeat was matched against every pattern route, a tenth of its CPU).
     */
    private record PatternRoute(Pattern pattern, String template, String prefix, String suffix, boolean oneId) {
        /** The id segment most routes have: {@link #idBetween} checks it without the regex. */
        private static final String ID = "([A-Za-z0-9._-]{1,100})";

        static PatternRoute of(Pattern pattern, String template) {
            String text = pattern.pattern();
            int open = text.indexOf('(');
            int close = text.lastIndexOf(')');
            String prefix = open < 0 ? "" : text.substring(0, open);
            String suffix = close < 0 ? "" : text.substring(close + 1);
            boolean literalEnds = literal(prefix) && literal(suffix);
            return new PatternRoute(pattern, template, literal(prefix) ? prefix : "", literal(suffix) ? suffix : "",
                    literalEnds && text.equals(prefix + ID + suffix));
        }

        private static boolean literal(String text) {
            return text.chars().noneMatch(ch -> "\\[](){}.*+?^$|".indexOf(ch) >= 0);
        }

        boolean matches(String path) {
            if (oneId) {
                return idBetween(path, prefix, suffix) != null;
            }
            return path.startsWith(prefix) && path.endsWith(suffix)
                    && path.length() > prefix.length() + suffix.length() && pattern.matcher(path).matches();
        }
    }

    ApiRoutes(Accounts accounts, String caPem, byte[] openApi) {
        this(accounts, null, caPem, openApi);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi) {
        this(accounts, hosts, caPem, openApi, 30);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi, int heartbeatSeconds) {
        this(accounts, hosts, caPem, openApi, heartbeatSeconds, null, null, null, null);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi, int heartbeatSeconds,
            CertificateAuthority ca, Repository repository, Leases leases, Bank bank) {
        this(accounts, hosts, caPem, openApi, heartbeatSeconds, ca, repository, leases, bank, null);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi, int heartbeatSeconds,
            CertificateAuthority ca, Repository repository, Leases leases, Bank bank, Jobs jobs) {
        this(accounts, hosts, caPem, openApi, heartbeatSeconds, ca, repository, leases, bank, jobs, null, null, null, null);
    }

    /**
     * Every service the API calls; a null one (tests of one part) makes its routes answer 503, but for
     * {@code signup}: without it anyone opens accounts (signup open) and invitations answer 503.
     */
    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi, int heartbeatSeconds,
            CertificateAuthority ca, Repository repository, Leases leases, Bank bank, Jobs jobs,
            HostDirectives directives, LedgerSeries series, Titles titles, Signup signup) {
        new AccountRoutes(accounts, ca, caPem, signup).addTo(this);
        new CertificateRoutes(accounts, ca, hosts).addTo(this);
        new HostRoutes(accounts, hosts, leases, directives, heartbeatSeconds, caPem).addTo(this);
        new RepositoryRoutes(accounts, hosts, repository, leases).addTo(this);
        new LeaseRoutes(accounts, leases).addTo(this);
        new LeaseUpdateRoutes(accounts, leases).addTo(this);
        new BankRoutes(accounts, bank).addTo(this);
        new JobRoutes(accounts, jobs).addTo(this);
        new DirectiveRoutes(accounts, directives).addTo(this);
        new LedgerSeriesRoutes(accounts, series).addTo(this);
        new TitleRoutes(accounts, titles, ca).addTo(this);
        try {
            new ConsoleRoutes().addTo(this);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        byte[] caPemBytes = caPem.getBytes(StandardCharsets.US_ASCII);
        byte[] openApiBytes = openApi.clone();
        route("GET", "/v1/ca.pem", r -> new ApiResponse(200, "application/x-pem-file", caPemBytes, Map.of(), false));
        route("GET", "/v1/openapi.json", r -> new ApiResponse(200, ApiResponse.JSON, openApiBytes, Map.of(), false));
    }

    /** Serves {@code method} on {@code path} (exact, or a pattern route's template) by {@code endpoint}. */
    void route(String method, String path, Endpoint endpoint) {
        routes.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, endpoint);
    }

    /** Paths matching {@code pattern} are served by the routes of {@code template}. */
    void pattern(Pattern pattern, String template) {
        patterns.add(PatternRoute.of(pattern, template));
    }

    /** The routes, path → methods (what the OpenAPI description must list). */
    Map<String, List<String>> table() {
        Map<String, List<String>> table = new LinkedHashMap<>();
        routes.forEach((path, methods) -> table.put(path, List.copyOf(methods.keySet())));
        return table;
    }

    /** Answers a request; never throws. */
    ApiResponse handle(ApiRequest request) {
        try {
            Map<String, Endpoint> methods = routes.get(routeOf(request.path()));
            if (methods == null) {
                throw new ApiException(404, "no route " + request.path());
            }
            Endpoint endpoint = methods.get(request.method());
            if (endpoint == null) {
                String allowed = String.join(", ", methods.keySet());
                throw new ApiException(405, request.method() + " is not allowed on " + request.path()
                        + " (allowed: " + allowed + ")", Map.of("Allow", allowed));
            }
            return endpoint.handle(request);
        } catch (ApiException e) {
            return Json.error(e);
        } catch (SignupRefused e) {
            return Json.error(403, e.getMessage(), Map.of());
        } catch (AccountRefused | CertificateRefused e) {
            return Json.error(400, e.getMessage(), Map.of());
        } catch (BundleRefused e) {
            int status = switch (e.reason()) {
                case NOT_A_BUYER -> 403;
                case INADMISSIBLE -> 400;
                case TOO_LARGE -> 413;
                case NOT_FOUND -> 404;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (LeaseRefused e) {
            int status = switch (e.reason()) {
                case BAD_REQUEST -> 400;
                case FORBIDDEN -> 403;
                case NOT_FOUND -> 404;
                case NOT_ENOUGH_HOSTS, ENDED -> 409;
                case INSUFFICIENT_FUNDS -> 402;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (BankRefused e) {
            int status = switch (e.reason()) {
                case INSUFFICIENT_FUNDS -> 402;
                case BAD_REQUEST -> 400;
                case UNKNOWN_ACCOUNT -> 404;
                case CONFLICT -> 409;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (HostRefused e) {
            int status = switch (e.reason()) {
                case NOT_AN_OWNER -> 403;
                case ALREADY_ENROLLED -> 409;
                case BAD_REQUEST -> 400;
                case NOT_THIS_HOST -> 403;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (Exception | Error e) {
            return internalError(e);
        }
    }

    /**
     * The id between {@code prefix} and {@code suffix} of a path, when it is 1 to 100 of {@code [A-Za-z0-9._-]} (what
     * the id patterns of the routes accept); null otherwise. Without a regex: the heartbeat route runs it each time.
     */
    static String idBetween(String path, String prefix, String suffix) {
        int end = path.length() - suffix.length();
        if (!path.startsWith(prefix) || !path.endsWith(suffix) || end - prefix.length() < 1
                || end - prefix.length() > 100) {
            return null;
        }
        for (int i = prefix.length(); i < end; i++) {
            char ch = path.charAt(i);
            if (!(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_'
                    || ch == '-')) {
                return null;
            }
        }
        return path.substring(prefix.length(), end);
    }

    /** The route a path belongs to: a pattern route's template, else the path itself. */
    String routeOf(String path) {
        for (PatternRoute route : patterns) {
            if (route.matches(path)) {
                return route.template();
            }
        }
        return path;
    }

    /** A 500 whose reference is in the log next to the stack trace; the client gets only the reference. */
    ApiResponse internalError(Throwable failure) {
        String reference = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "internal error, reference " + reference, failure);
        return Json.error(500, "internal error (reference " + reference + ")", Map.of());
    }
}
