"""Compatibility path: the fairness audit lives in monitor.queue.audit (the digest imports it from here)."""

from monitor.queue.audit import (
    UNKNOWN_TIER,
    AuditReport,
    TierFigures,
    audit,
    audit_store,
    p90,
    tier_names,
    tier_of,
)

__all__ = ["UNKNOWN_TIER", "AuditReport", "TierFigures", "audit", "audit_store", "p90", "tier_names", "tier_of"]
