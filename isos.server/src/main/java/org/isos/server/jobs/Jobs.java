package org.isos.server.jobs;

import java.sql.SQLException;
import java.util.List;

import org.isos.server.accounts.Account;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The system-wide job queues. A buyer's job runner (which holds leases of the app on hosts and talks to them)
 * asks for work for one host at a time and reports what the host answered; the service decides replication,
 * validates results and keeps trust and credit, so neither a host nor a runner can validate its own work.
 */
@ProviderType
public interface Jobs {

    /** @throws JobRefused BAD_REQUEST (a field), FORBIDDEN (not a buyer), NOT_FOUND (no such bundle of the buyer) */
    Job create(Account buyer, JobSpec spec) throws JobRefused, SQLException;

    /** @throws JobRefused NOT_FOUND when the job is not the account's */
    Job job(Account buyer, String jobId) throws JobRefused, SQLException;

    /** The buyer's jobs, newest first. */
    List<Job> jobsOf(Account buyer) throws SQLException;

    /**
     * Up to {@code max} replicas for {@code hostId}, from the job's cache of ready units: none the host already
     * holds a copy of, within its quota. Empty when nothing is ready for it now.
     *
     * @throws JobRefused FORBIDDEN when the host holds no running lease of the job's app, BANNED when it is banned
     */
    List<Assignment> dispatch(Account buyer, String jobId, String hostId, int max) throws JobRefused, SQLException;

    /**
     * As {@link #dispatch}, but when {@code resend} is set the replicas the host already holds that are before their
     * deadline come first, all of them, with their own ids and deadlines: for a runner whose session with the host
     * broke (an agent restart, a runner restart), so that the host goes on with them from its checkpoints instead of
     * waiting out their deadlines. Nothing new is issued for them: a replica is still reported and credited once.
     * New copies then fill up to {@code max}.
     *
     * @since 1.1
     */
    List<Assignment> dispatch(Account buyer, String jobId, String hostId, int max, boolean resend)
            throws JobRefused, SQLException;

    /** Results (or failures) of replicas; each is validated as far as the other replicas allow. */
    List<ReportOutcome> report(Account buyer, String jobId, List<Report> reports) throws JobRefused, SQLException;

    /**
     * {@link #report(Account, String, List)} and then {@link #dispatch(Account, String, String, int)} for
     * {@code hostId}, in one transaction: one call and one commit where a runner would make two. The host's new
     * replicas are issued after its reports are counted (its quota, its record); a host banned by these reports gets
     * none. Refused as a whole (nothing reported) when the reports or the ask are malformed or the host holds no
     * lease of the job's app.
     *
     * @throws JobRefused BAD_REQUEST (a field), FORBIDDEN (no running lease of the job's app), NOT_FOUND (not the
     *                    account's job)
     * @since 1.2
     */
    ReportReply report(Account buyer, String jobId, List<Report> reports, String hostId, int max)
            throws JobRefused, SQLException;

    /** The job's units in the buyer's order (spot checks not among them). */
    List<UnitResult> results(Account buyer, String jobId) throws JobRefused, SQLException;

    /** The records of the hosts that worked on the job, with its app. */
    List<HostTrust> hostsOf(Account buyer, String jobId) throws JobRefused, SQLException;
}
