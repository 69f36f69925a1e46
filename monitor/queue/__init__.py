"""The fair queue: policies (the service order), visibility (blind triage), the case lifecycle, the audit
and the simulator. Pure rules here; the rows are read and written through monitor.store.

    policies.py    QueuePolicy, FairPolicy / FifoPolicy / FollowersPolicy, rank, get_policy
    visibility.py  shows_reach: the one blind-triage rule
    view.py        case_json: the one JSON shape of a case
    cases.py       top, next_case, claim, respond, resolve, dismiss, escalate, release
    audit.py       the fairness audit per follower tier
    simulate.py    a simulated care team under each policy
"""
