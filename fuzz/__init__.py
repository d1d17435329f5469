"""`make fuzz`: stock schemathesis campaigns against a live mock (campaign.py)."""
