package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;
import org.isos.server.bank.Balance;
import org.isos.server.bank.Bank;
import org.isos.server.bank.LedgerEntry;
import org.isos.server.bank.LedgerTotals;
import org.isos.server.bank.Transfer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The bank as its account holders see it: deposits, withdrawals, balance, ledger, and the system totals.
 */
final class BankRoutes {

    private final Accounts accounts;
    private final Bank bank;

    BankRoutes(Accounts accounts, Bank bank) {
        this.accounts = accounts;
        this.bank = bank;
    }

    void addTo(ApiRoutes routes) {
        routes.route("POST", "/v1/deposits", this::deposit);
        routes.route("POST", "/v1/withdrawals", this::withdraw);
        routes.route("GET", "/v1/balance", this::balance);
        routes.route("GET", "/v1/ledger", this::ledger);
        routes.route("GET", "/v1/ledger/totals", this::totals);
    }

    private ApiResponse deposit(ApiRequest request) throws Exception {
        return transfer(request, "deposit");
    }

    private ApiResponse withdraw(ApiRequest request) throws Exception {
        return transfer(request, "withdrawal");
    }

    /**
     * A deposit or withdrawal: {@code {"amountMicros": n, "id": "client-chosen"?}}. The bank's transfer id is
     * {@code <kind>:<account>:<id>}, so a client's ids never collide with another account's, and the same id
     * posted again moves nothing and answers the first posting.
     */
    private ApiResponse transfer(ApiRequest request, String kind) throws Exception {
        Account account = authenticate(accounts, request);
        ObjectNode body = jsonObject(request, true, "amountMicros", "id");
        long amount = wholeNumber(body, "amountMicros", "amountMicros", true, 1);
        String id = optionalText(body, "id", "id");
        if (id == null) {
            id = UUID.randomUUID().toString();
        } else if (!id.matches("[A-Za-z0-9._:-]{1,100}")) {
            throw new ApiException(400, "field 'id' must be 1 to 100 letters, digits or . _ : -");
        }
        String transferId = kind + ":" + account.id() + ":" + id;
        Transfer transfer = kind.equals("deposit") ? service(bank).deposit(transferId, account.id(), amount)
                : service(bank).withdraw(transferId, account.id(), amount);
        return Json.ok(201, Json.object().put("id", id).put("kind", transfer.kind())
                .put("amountMicros", transfer.amountMicros()).put("posted", transfer.posted().toString())
                .put("repeated", transfer.repeated()));
    }

    private ApiResponse balance(ApiRequest request) throws Exception {
        Account account = authenticate(accounts, request);
        noQuery(request);
        Balance balance = service(bank).balance(account.id());
        return Json.ok(200, Json.object().put("account", account.id()).put("availableMicros", balance.availableMicros())
                .put("heldMicros", balance.heldMicros()));
    }

    private ApiResponse ledger(ApiRequest request) throws Exception {
        Account account = authenticate(accounts, request);
        int limit = 100;
        for (Map.Entry<String, List<String>> parameter : request.query().entrySet()) {
            if (!parameter.getKey().equals("limit")) {
                throw new ApiException(400, "unknown query parameter " + quoted(parameter.getKey()) + " (allowed: limit)");
            }
            String value = parameter.getValue().get(parameter.getValue().size() - 1);
            try {
                limit = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 1000) {
                throw new ApiException(400, "query parameter 'limit' must be 1 to 1000, not " + quoted(value));
            }
        }
        ObjectNode answer = Json.object();
        ArrayNode entries = answer.putArray("entries");
        for (LedgerEntry entry : service(bank).ledger(account.id(), limit)) {
            entries.addObject().put("transferId", entry.transferId()).put("kind", entry.kind())
                    .put("ledgerAccount", entry.ledgerAccount()).put("amountMicros", entry.amountMicros())
                    .put("memo", entry.memo()).put("posted", entry.posted().toString());
        }
        return Json.ok(200, answer);
    }

    private ApiResponse totals(ApiRequest request) throws Exception {
        authenticate(accounts, request);
        noQuery(request);
        LedgerTotals totals = service(bank).totals();
        return Json.ok(200, Json.object().put("depositsMicros", totals.depositsMicros())
                .put("withdrawalsMicros", totals.withdrawalsMicros())
                .put("sumOfAccountsMicros", totals.sumOfAccountsMicros()).put("feesMicros", totals.feesMicros())
                .put("balanced", totals.balanced()));
    }
}
