package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.isos.apps.compute.work.Fasta;
import org.isos.apps.compute.work.GeneResult;
import org.isos.apps.compute.work.MersenneUnit;
import org.isos.apps.compute.work.Scoring;
import org.isos.apps.compute.work.Sequence;
import org.isos.apps.compute.work.Workloads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * {@code isos job}: help, usage errors (exit 2) and bad input found before the server is asked (exit 1: malformed
 * FASTA), and the job's work: Mersenne units and spot checks, gene units, results read back.
 */
class JobUsageTest {

    private static final Map<String, String> ENV = Map.of("ISOS_SERVER", "https://127.0.0.1:9/", "ISOS_TOKEN", "isos_x",
            "ISOS_HOME", "/nonexistent-isos-home");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "job", "job submit", "job status", "job results" })
    void everyJobVerbHasHelp(String verb) {
        CliRun run = CliRun.run((verb + " --help").split(" "));
        assertEquals(0, run.exit(), run::toString);
        assertTrue(run.out().startsWith("Usage: isos " + verb), run::toString);
    }

    @Test
    void submitsHelpSaysARunnerMustRun() {
        CliRun run = CliRun.run("job", "submit", "--help");
        assertTrue(run.out().replaceAll("\\s+", " ").contains("the job progresses only while a runner runs"), run::toString);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "job| isos job: say which: submit, status, results",
        "job submit --app lottery --range 2..10| isos job submit: Invalid value for option '--app': expected one of [mersenne, genes]",
        "job submit --app mersenne| isos job submit: --app mersenne needs --range A..B",
        "job submit --app mersenne --range 2..10 --leases l1,l2| isos job submit: --leases needs --wait (this process runs the job on them) and no --local",
        "job submit --app mersenne --range 10..9| isos job submit: --range 10..9 is empty",
        "job submit --app mersenne --range 0..9| isos job submit: --range 0..9 starts below 2",
        "job submit --app mersenne --range 24..28| isos job submit: --range 24..28 holds no prime exponent",
        "job submit --app mersenne --range ten| isos job submit: --range must be A..B with whole numbers",
        "job submit --app mersenne --range 2..10 --replicas 0| isos job submit: --replicas must be 1 to 10, not 0",
        "job submit --app mersenne --range 2..10 --replicas 3 --max-replicas 2| isos job submit: --max-replicas must be --replicas (3) to 20, not 2",
        "job submit --app mersenne --range 2..10 --hosts 0| isos job submit: --hosts must be 1 to 100, not 0",
        "job submit --app mersenne --range 2..10 --deadline 5s| isos job submit: --deadline must be 10s to 7d, not 5 s",
        "job submit --app genes --queries q.fa| isos job submit: --app genes needs --queries Q.fasta and --library L.fasta",
        "job status| isos job status: Missing required parameter: 'ID'",
        "job results| isos job results: Missing required parameter: 'ID'",
    })
    void usageErrorsExit2WithAMessage(String line, String message) {
        CliRun run = CliRun.run(ENV, line.split(" "));
        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().startsWith(message.strip()), run::toString);
    }

    @Test
    void malformedFastaIsRefusedBeforeAnythingIsLeased() throws Exception {
        Path q = Files.writeString(dir.resolve("Q.fasta"), ">q1\nACGTXA\n");
        Path lib = Files.writeString(dir.resolve("L.fasta"), ">t1\nACGT\n");
        CliRun run = CliRun.run(ENV, "job", "submit", "--app", "genes", "--queries", q.toString(), "--library", lib.toString());
        assertEquals(1, run.exit(), run::toString);
        assertTrue(run.err().startsWith("isos job submit: Q.fasta: line 2, column 5: 'X' is not in the alphabet ACGTN"),
                run::toString);
        Path noHeader = Files.writeString(dir.resolve("N.fasta"), "ACGT\n");
        run = CliRun.run(ENV, "job", "submit", "--app", "genes", "--queries", noHeader.toString(), "--library", lib.toString());
        assertEquals(1, run.exit(), run::toString);
        assertTrue(run.err().startsWith("isos job submit: N.fasta: "), run::toString);
        run = CliRun.run(ENV, "job", "submit", "--app", "genes", "--queries", dir.resolve("absent").toString(), "--library",
                lib.toString());
        assertEquals(1, run.exit(), run::toString);
        assertTrue(run.err().startsWith("isos job submit: no such file: "), run::toString);
    }

    @Test
    void mersenneUnitsCoverTheRangeAndSpotChecksCarryTheirAnswers() {
        List<JobWork.Unit> units = JobWork.mersenne(2, 1300, 100);
        assertEquals(13, units.size());
        assertEquals("p2..101", units.get(0).name());
        assertEquals(new MersenneUnit(1202, 1300), MersenneUnit.decode(units.get(12).input()));
        List<JobWork.Unit> checks = JobWork.mersenneSpotChecks(2, 1300, 100, 3, new Random(1));
        assertEquals(3, checks.size());
        for (JobWork.Unit c : checks) {
            MersenneUnit u = MersenneUnit.decode(c.input());
            assertTrue(u.to() - u.from() + 1 <= 100 && u.from() >= 2 && u.to() <= 1300, u.toString());
            assertArrayEquals(Workloads.forUnit(c.input()).run(c.input()), c.expected());
        }
        // the results of all units, read back as the server returns them
        ArrayNode results = ServerConnection.JSON.createArrayNode();
        for (JobWork.Unit u : units) {
            results.addObject().put("name", u.name()).put("state", "VALIDATED")
                    .put("result", Base64.getEncoder().encodeToString(Workloads.forUnit(u.input()).run(u.input())));
        }
        assertEquals(List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521, 607, 1279), JobWork.primes(results));
        assertThrows(IllegalArgumentException.class, () -> JobWork.range("2..300000"));
    }

    @Test
    void geneUnitsMergeToTheSingleProcessAnswer() {
        Scoring dna = Scoring.dna();
        List<Sequence> queries = Fasta.parse(">q1\nACGTACGTTAGC\n>q2\nGGGATTACA\n", dna, "Q.fasta");
        StringBuilder lib = new StringBuilder();
        Random r = new Random(3);
        for (int i = 0; i < 20; i++) {
            lib.append(">t").append(i).append('\n');
            for (int j = 0; j < 40; j++) {
                lib.append("ACGT".charAt(r.nextInt(4)));
            }
            lib.append('\n');
        }
        List<Sequence> library = Fasta.parse(lib.toString(), dna, "L.fasta");
        List<JobWork.Unit> units = JobWork.genes(queries, library, 3, 1, 6);
        assertEquals(4, units.size());
        ArrayNode results = ServerConnection.JSON.createArrayNode();
        for (JobWork.Unit u : units) {
            results.addObject().put("name", u.name()).put("state", "VALIDATED")
                    .put("result", Base64.getEncoder().encodeToString(Workloads.forUnit(u.input()).run(u.input())));
        }
        List<JobWork.Unit> whole = JobWork.genes(queries, library, 3, 1, library.size());
        byte[] single = Workloads.forUnit(whole.get(0).input()).run(whole.get(0).input());
        assertEquals(GeneResult.decode(single), JobWork.genes(results));
        List<String> names = new ArrayList<>();
        units.forEach(u -> names.add(u.name()));
        assertEquals(List.of("top3-lib0+6", "top3-lib6+6", "top3-lib12+6", "top3-lib18+2"), names);
    }
}
