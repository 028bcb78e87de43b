"""The tests of each procedure suite, in order (a renamed or added step must be updated here)."""
from __future__ import annotations

STATE_CORRUPTION = "suites/annotated_pod_state_corruption.robot"
STATE_CORRUPTION_STEPS = (
    "Step 01 Environment Setup",
    "Step 02 Bulk Create Multiple Annotated Pods",
    "Step 03 Verify Initial State And Plugin Logs",
    "Step 04 Bulk Remove Annotated Pods",
    "Step 05 Bulk Create Integer Pods",
    "Step 06 Verify Integer Pod Allocations",
    "Step 07 Attempt To Create Additional Trigger Pods",
    "Step 08 Analyze Plugin State Corruption",
    "Step 09 Demonstrate The Fix",
    "Step 10 Verify Fix Success",
)

RELOCATE_CPU = "suites/relocate_cpu.robot"
RELOCATE_CPU_STEPS = (
    "Step 01 Environment Setup",
    "Step 02 Deploy Integer DaemonSet",
    "Step 03 Verify Initial CPU Assignments Across All Nodes",
    "Step 04 Create Annotated DaemonSet",
    "Step 05 Verify Live Reallocation Results Across All Nodes",
    "Step 06 Verify Plugin Logs Across All Nodes",
    "Step 07 Validate Sibling Core Preference",
)

DAEMONSET_STATE_CORRUPTION = "suites/daemonset_state_corruption.robot"
DAEMONSET_STATE_CORRUPTION_STEPS = (
    "Step 01 Environment Setup",
    "Step 02 Deploy Annotated DaemonSets",
    "Step 03 Verify Initial State And Plugin Logs",
    "Step 04 Bulk Remove Annotated DaemonSets",
    "Step 05 Deploy Integer DaemonSets",
    "Step 06 Verify Integer Pod Allocations And Test State",
    "Step 07 Attempt To Create Additional Test Pod",
    "Step 08 Analysis And State Inspection",
    "Step 09 Demonstrate Fix",
    "Step 10 Verify Fix Success",
)
