package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class FastaTest {
    private final Scoring dna = Scoring.dna();

    @Test
    void parsesHeadersLinesCaseCommentsAndCrlf() {
        String text = "; a comment\r\n>seq1 a description\r\nACGT\r\nacgn\r\n\r\n>seq2\nGG TT\n>seq3\tx\nA";
        List<Sequence> s = Fasta.parse(text, dna, "Q.fasta");
        assertEquals(3, s.size());
        assertEquals("seq1", s.get(0).id());
        assertEquals("ACGTACGN", s.get(0).letters(dna));
        assertEquals("GGTT", s.get(1).letters(dna));
        assertEquals("seq3", s.get(2).id());
        assertEquals(s, Fasta.parse(Fasta.format(s, dna), dna, "again"));
    }

    private String error(String text) {
        return assertThrows(WorkFormatException.class, () -> Fasta.parse(text, dna, "L.fasta")).getMessage();
    }

    @Test
    void errorsNameLineAndColumn() {
        assertEquals("L.fasta: line 1, column 1: sequence data before the first '>' header", error("ACGT\n>a\nAC\n"));
        assertEquals("L.fasta: line 3, column 3: 'X' is not in the alphabet ACGTN", error(">a\nACGT\nACXT\n"));
        assertEquals("L.fasta: line 3, column 1: sequence 'b' is empty", error(">a\nA\n>b\n>c\nA"));
        assertEquals("L.fasta: line 1, column 1: sequence 'a' is empty", error(">a\n"));
        assertEquals("L.fasta: line 3, column 1: header has no sequence id", error(">a\nA\n> \nA\n"));
        assertEquals("L.fasta: line 3, column 2: duplicate sequence id 'a' (first at line 1)", error(">a\nA\n>a\nC\n"));
        assertEquals("L.fasta: no sequences (a FASTA file starts with a '>' header line)", error("\n; nothing\n"));
        assertEquals("L.fasta: line 2, column 2: '\\u00e9' is not in the alphabet ACGTN", error(">a\nA\u00e9\n"));
    }
}
