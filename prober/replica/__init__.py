"""The replica: a local HTTPS stand-in that answers like Alibaba's endpoints as they have been observed."""
