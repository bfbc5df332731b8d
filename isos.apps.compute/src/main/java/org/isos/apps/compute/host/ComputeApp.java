package org.isos.apps.compute.host;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.isos.apps.compute.protocol.ComputeMessage;
import org.isos.apps.compute.work.WorkUnitTask;
import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.kernel.api.Scheduling;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The compute app on a host: runs the work units a buyer's job runner sends as kernel tasks
 * (checkpointed, so a pause or a restart of the task resumes them), keeps each result in the
 * lease's store and sends it back. A result whose sender has gone can be fetched again.
 *
 * <p>A RUN is idempotent per unit id, because a runner sends a unit again after its session broke (an agent
 * restart, a runner restart): a unit already running here only answers to the newest sender; one already finished
 * answers with its stored result; otherwise it is run as the task {@code unit-ID}, which the kernel resumes from
 * that task's last checkpoint in the lease's store, if a run before the restart left one.
 */
@Component(immediate = true, service = {})
public class ComputeApp implements Communication.MessageListener {

    private final Allocation allocation;
    private final Scheduling scheduling;
    private final Communication communication;
    /** Units running here, by id → who gets the result: the latest sender of their RUN. */
    private final Map<String, Peer> running = new ConcurrentHashMap<>();

    @Activate
    public ComputeApp(@Reference Allocation allocation, @Reference Scheduling scheduling,
            @Reference Communication communication) {
        this.allocation = allocation;
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
            return; // nothing to answer to: not even a unit id could be read
        }
        switch (message.op()) {
        case RUN -> run(from, message);
        case FETCH -> fetch(from, message.unitId());
        default -> reply(from, ComputeMessage.failed(message.unitId(), "a host takes RUN and FETCH, not "
                + message.op()));
        }
    }

    private void run(Peer from, ComputeMessage message) {
        String id = message.unitId();
        if (running.replace(id, from) != null) {
            return; // sent again while it runs: it goes on, and its result goes to the newer sender
        }
        var done = allocation.store().get(resultKey(id));
        if (done.isPresent()) {
            reply(from, new ComputeMessage(ComputeMessage.Op.RESULT, id, done.get()));
            return;
        }
        WorkUnitTask task;
        try {
            task = new WorkUnitTask(message.payload(), result -> finished(id, result));
        } catch (IllegalArgumentException e) { // a WorkFormatException among them
            reply(from, ComputeMessage.failed(id, "bad work unit: " + e.getMessage()));
            return;
        }
        if (running.putIfAbsent(id, from) != null) {
            running.put(id, from); // two RUNs at once: the first one runs it
            return;
        }
        scheduling.submit("unit-" + id, task).completion().whenComplete((ok, failure) -> {
            if (failure != null) {
                Peer to = running.remove(id);
                reply(to != null ? to : from, ComputeMessage.failed(id, "unit did not finish: " + failure));
            }
        });
    }

    private void finished(String id, byte[] result) {
        try {
            allocation.store().put(resultKey(id), result);
        } catch (QuotaExceededException e) {
            // the result still goes out; it just cannot be fetched again
        }
        Peer to = running.remove(id);
        if (to != null) {
            reply(to, new ComputeMessage(ComputeMessage.Op.RESULT, id, result));
        }
    }

    private void fetch(Peer from, String id) {
        reply(from, allocation.store().get(resultKey(id))
                .map(result -> new ComputeMessage(ComputeMessage.Op.RESULT, id, result))
                .orElseGet(() -> ComputeMessage.failed(id, "no result for unit " + id + " on this host")));
    }

    private void reply(Peer to, ComputeMessage message) {
        communication.send(to, message.encode());
    }

    private static String resultKey(String id) {
        return "result/" + id;
    }
}
