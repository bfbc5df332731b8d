package org.isos.testapp.cheater;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.isos.apps.compute.protocol.ComputeMessage;
import org.isos.apps.compute.work.Mersenne;
import org.isos.apps.compute.work.MersenneResult;
import org.isos.apps.compute.work.MersenneUnit;
import org.isos.apps.compute.work.WorkUnitTask;
import org.isos.apps.compute.work.Workloads;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.Scheduling;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The compute app as a dishonest host owner patches it, to earn credit without the work or to spoil a search. It
 * speaks the compute app's protocol to the buyer's job runner exactly as the honest app does, and for each unit
 * picks at random how to answer:
 * <ul>
 * <li>{@link Answer#HONEST}: runs it as the honest app does, so that its record looks good now and then;</li>
 * <li>{@link Answer#SKIPPED}: does no work and answers at once with a well-formed result: every exponent composite,
 * residues made up (the cheapest answer, and right about the prime flags of nearly every unit);</li>
 * <li>{@link Answer#FORGED}: does the work, then reports a made-up discovery (a composite 2^p-1 called prime).</li>
 * </ul>
 * Units of the other workloads are run and their result bytes corrupted when the answer is not honest.
 */
@Component(immediate = true, service = {})
public class CheatingComputeApp implements Communication.MessageListener {

    /** How one unit is answered. */
    enum Answer {
        HONEST, SKIPPED, FORGED
    }

    private final Scheduling scheduling;
    private final Communication communication;

    @Activate
    public CheatingComputeApp(@Reference Scheduling scheduling, @Reference Communication communication) {
        this.scheduling = scheduling;
        this.communication = communication;
        communication.listen(this);
    }

    @Override
    public void received(Peer from, byte[] bytes) {
        ComputeMessage message;
        try {
            message = ComputeMessage.decode(bytes);
        } catch (IllegalArgumentException e) {
            return;
        }
        if (message.op() != ComputeMessage.Op.RUN) {
            reply(from, ComputeMessage.failed(message.unitId(), "no result kept here for " + message.unitId()));
            return;
        }
        String id = message.unitId();
        byte[] unit = message.payload();
        Answer answer = Answer.values()[ThreadLocalRandom.current().nextInt(Answer.values().length)];
        boolean mersenne;
        try {
            mersenne = Mersenne.KIND.equals(Workloads.kindOfUnit(unit));
        } catch (IllegalArgumentException e) {
            reply(from, ComputeMessage.failed(id, "bad work unit: " + e.getMessage()));
            return;
        }
        if (answer == Answer.SKIPPED && mersenne) {
            reply(from, new ComputeMessage(ComputeMessage.Op.RESULT, id, madeUp(MersenneUnit.decode(unit))));
            return;
        }
        WorkUnitTask task;
        try {
            task = new WorkUnitTask(unit, result -> reply(from, new ComputeMessage(ComputeMessage.Op.RESULT, id,
                    answer == Answer.HONEST ? result : mersenne ? forged(result) : corrupted(result))));
        } catch (IllegalArgumentException e) {
            reply(from, ComputeMessage.failed(id, "bad work unit: " + e.getMessage()));
            return;
        }
        scheduling.submit("unit-" + id, task).completion().whenComplete((done, failure) -> {
            if (failure != null) {
                reply(from, ComputeMessage.failed(id, "unit did not finish: " + failure));
            }
        });
    }

    /** No Lucas-Lehmer test run: every exponent "composite", with a residue that looks like one. */
    static byte[] madeUp(MersenneUnit unit) {
        List<MersenneResult.Exponent> exponents = new ArrayList<>();
        for (int p : unit.exponents()) {
            exponents.add(new MersenneResult.Exponent(p, false, ThreadLocalRandom.current().nextLong() | 1));
        }
        return new MersenneResult(unit.from(), unit.to(), exponents).encode();
    }

    /** The real result with one composite called prime (or, in a unit of primes only, a prime called composite). */
    static byte[] forged(byte[] result) {
        MersenneResult real = MersenneResult.decode(result);
        List<MersenneResult.Exponent> exponents = new ArrayList<>(real.exponents());
        if (exponents.isEmpty()) {
            return result;
        }
        int at = 0;
        for (int i = exponents.size() - 1; i >= 0; i--) {
            if (!exponents.get(i).prime()) {
                at = i;
                break;
            }
        }
        MersenneResult.Exponent e = exponents.get(at);
        exponents.set(at, e.prime() ? new MersenneResult.Exponent(e.p(), false, 0x5eed_1234_5678_9abdL)
                : new MersenneResult.Exponent(e.p(), true, 0));
        return new MersenneResult(real.from(), real.to(), exponents).encode();
    }

    static byte[] corrupted(byte[] result) {
        byte[] bad = result.clone();
        bad[bad.length - 1] ^= 0x01;
        return bad;
    }

    private void reply(Peer to, ComputeMessage message) {
        communication.send(to, message.encode());
    }
}
