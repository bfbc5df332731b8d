package org.isos.apps.compute.work;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * FASTA reading: {@code >id optional description} headers, then residue lines in the scoring's
 * alphabet (either case; spaces and tabs ignored). Blank lines and {@code ;} comment lines are
 * skipped. Errors name the source, line and column.
 */
public final class Fasta {

    private Fasta() {
    }

    /**
     * @param source named in errors, e.g. the file name
     * @throws WorkFormatException for data before the first header, a header without an id, a duplicate
     *                             id, a letter outside the alphabet, an empty sequence or no sequence at all
     */
    public static List<Sequence> parse(String text, Scoring scoring, String source) {
        List<Sequence> sequences = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String id = null;
        int headerLine = 0;
        byte[] codes = new byte[256];
        int length = 0;
        int lineNo = 0;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String line = text.substring(start, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            lineNo++;
            start = end + 1;
            if (line.isBlank() || line.startsWith(";")) {
                if (end == text.length()) {
                    break;
                }
                continue;
            }
            if (line.charAt(0) == '>') {
                if (id != null) {
                    sequences.add(finish(source, id, headerLine, codes, length));
                }
                String header = line.substring(1).strip();
                int space = 0;
                while (space < header.length() && header.charAt(space) > ' ') {
                    space++;
                }
                id = header.substring(0, space);
                headerLine = lineNo;
                length = 0;
                if (id.isEmpty()) {
                    throw error(source, lineNo, 1, "header has no sequence id");
                }
                if (id.length() > Sequence.MAX_ID) {
                    throw error(source, lineNo, 2, "sequence id is longer than " + Sequence.MAX_ID + " characters");
                }
                for (int i = 0; i < id.length(); i++) {
                    if (id.charAt(i) > 0x7E) {
                        throw error(source, lineNo, 2 + i, "sequence id has a character that is not printable ASCII");
                    }
                }
                Integer first = seen.putIfAbsent(id, lineNo);
                if (first != null) {
                    throw error(source, lineNo, 2, "duplicate sequence id '" + id + "' (first at line " + first + ")");
                }
            } else {
                if (id == null) {
                    throw error(source, lineNo, 1, "sequence data before the first '>' header");
                }
                for (int i = 0; i < line.length(); i++) {
                    char c = line.charAt(i);
                    if (c == ' ' || c == '\t') {
                        continue;
                    }
                    int code = scoring.code(c);
                    if (code < 0) {
                        throw error(source, lineNo, i + 1, "'" + printable(c) + "' is not in the alphabet " + scoring.alphabet());
                    }
                    if (length == Sequence.MAX_LENGTH) {
                        throw error(source, lineNo, i + 1, "sequence '" + id + "' is longer than " + Sequence.MAX_LENGTH + " residues");
                    }
                    if (length == codes.length) {
                        codes = java.util.Arrays.copyOf(codes, codes.length * 2);
                    }
                    codes[length++] = (byte) code;
                }
            }
            if (end == text.length()) {
                break;
            }
        }
        if (id != null) {
            sequences.add(finish(source, id, headerLine, codes, length));
        }
        if (sequences.isEmpty()) {
            throw new WorkFormatException(source + ": no sequences (a FASTA file starts with a '>' header line)");
        }
        return sequences;
    }

    private static Sequence finish(String source, String id, int headerLine, byte[] codes, int length) {
        if (length == 0) {
            throw error(source, headerLine, 1, "sequence '" + id + "' is empty");
        }
        return new Sequence(id, java.util.Arrays.copyOf(codes, length));
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7F ? String.valueOf(c) : "\\u" + String.format(java.util.Locale.ROOT, "%04x", (int) c);
    }

    private static WorkFormatException error(String source, int line, int column, String message) {
        return new WorkFormatException(source + ": line " + line + ", column " + column + ": " + message);
    }

    /** Writes sequences as FASTA, 60 letters a line. */
    public static String format(List<Sequence> sequences, Scoring scoring) {
        StringBuilder b = new StringBuilder();
        for (Sequence s : sequences) {
            b.append('>').append(s.id()).append('\n');
            String letters = s.letters(scoring);
            for (int i = 0; i < letters.length(); i += 60) {
                b.append(letters, i, Math.min(letters.length(), i + 60)).append('\n');
            }
        }
        return b.toString();
    }
}
