package org.isos.server.jobs;

/**
 * A work unit as the buyer submits it.
 *
 * @param name          the buyer's name for it (results are listed by it), 1-200 printable characters
 * @param input         the unit's bytes as the app reads them
 * @param estimatedCost its estimated cost, the credit a host earns for a validated result
 * @param expected      for a spot check, its known result; null for a real unit
 */
public record UnitInput(String name, byte[] input, long estimatedCost, byte[] expected) {

    public boolean spotCheck() {
        return expected != null;
    }
}
