"""Keys, times and names of the bucket wire tests."""

from __future__ import annotations

import re

#: AWS's worked SigV4 examples for S3 (the documentation's example key pair and time)
AWS_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_NOW = 1369353600  # 20130524T000000Z
COS_ID = "AKIDEXAMPLECOS"
COS_KEY = "cos-secret-key-for-tests"
COS_NOW = 1_700_000_000
APPID = "1250000000"
REGION = "ap-guangzhou"
ANY_URL = re.compile(r"https?://.*")
