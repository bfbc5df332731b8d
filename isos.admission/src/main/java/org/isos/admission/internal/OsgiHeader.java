package org.isos.admission.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses OSGi manifest headers (core spec 3.2.4):
 * {@code header ::= clause (',' clause)*}, {@code clause ::= path (';' path)* (';' parameter)*},
 * where a parameter is {@code name=value} (attribute) or {@code name:=value} (directive) and a value
 * may be a quoted string containing commas, semicolons and escaped quotes. Splitting on commas alone
 * would let {@code version="[1,2)"} smuggle a second "package" past the import check.
 */
public final class OsgiHeader {

    /** One clause: the paths it names (packages, bundles, jar paths) and its parameters. */
    public record Clause(List<String> paths, Map<String, String> attributes, Map<String, String> directives) {
        public Clause {
            paths = List.copyOf(paths);
            attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
            directives = Collections.unmodifiableMap(new LinkedHashMap<>(directives));
        }
    }

    private OsgiHeader() {
    }

    /**
     * The clauses of a header value.
     *
     * @throws IllegalArgumentException saying what is wrong with the syntax
     */
    public static List<Clause> parse(String header) {
        List<Clause> clauses = new ArrayList<>();
        for (String clause : split(header, ',')) {
            clauses.add(clause(clause));
        }
        return clauses;
    }

    private static Clause clause(String text) {
        List<String> paths = new ArrayList<>();
        Map<String, String> attributes = new LinkedHashMap<>();
        Map<String, String> directives = new LinkedHashMap<>();
        for (String part : split(text, ';')) {
            int equals = unquotedIndexOf(part, '=');
            if (equals < 0) {
                if (!attributes.isEmpty() || !directives.isEmpty()) {
                    throw new IllegalArgumentException("'" + part.trim() + "' follows the parameters in clause '"
                            + text.trim() + "'");
                }
                String path = part.trim();
                if (path.isEmpty() || path.indexOf('"') >= 0) {
                    throw new IllegalArgumentException("bad path '" + path + "' in clause '" + text.trim() + "'");
                }
                paths.add(path);
                continue;
            }
            boolean directive = equals > 0 && part.charAt(equals - 1) == ':';
            String name = part.substring(0, directive ? equals - 1 : equals).trim();
            String value = unquote(part.substring(equals + 1).trim(), text);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("parameter without a name in clause '" + text.trim() + "'");
            }
            if (directive) {
                directives.put(name, value);
            } else {
                int type = name.indexOf(':'); // typed attribute: version:Version=1.0
                attributes.put(type < 0 ? name : name.substring(0, type).trim(), value);
            }
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("clause '" + text.trim() + "' names nothing");
        }
        return new Clause(paths, attributes, directives);
    }

    /** Splits on {@code separator} outside quoted strings; an empty piece is an error. */
    private static List<String> split(String text, char separator) {
        List<String> pieces = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\') {
                i++; // the escaped character, whatever it is, stays inside the string
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == separator) {
                pieces.add(nonEmpty(text.substring(start, i), text));
                start = i + 1;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unterminated quoted string in '" + text.trim() + "'");
        }
        pieces.add(nonEmpty(text.substring(start), text));
        return pieces;
    }

    private static String nonEmpty(String piece, String text) {
        if (piece.isBlank()) {
            throw new IllegalArgumentException("empty clause or parameter in '" + text.trim() + "'");
        }
        return piece;
    }

    private static int unquotedIndexOf(String text, char wanted) {
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == wanted) {
                return i;
            }
        }
        return -1;
    }

    private static String unquote(String value, String clause) {
        if (!value.startsWith("\"")) {
            if (value.indexOf('"') >= 0) {
                throw new IllegalArgumentException("stray quote in '" + value + "' in clause '" + clause.trim() + "'");
            }
            return value;
        }
        StringBuilder out = new StringBuilder();
        int i = 1;
        for (; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                out.append(value.charAt(++i));
            } else if (c == '"') {
                break;
            } else {
                out.append(c);
            }
        }
        if (i != value.length() - 1) {
            throw new IllegalArgumentException("bad quoted value " + value + " in clause '" + clause.trim() + "'");
        }
        return out.toString();
    }
}
