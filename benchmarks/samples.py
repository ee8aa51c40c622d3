"""Sample values shared by the benchmarks that build stations directly (not through a CSV file)."""

MANUFACTURERS = ["Alfen", "Zaptec", "ABB", "Wallbox", "Easee", "Siemens", "Mennekes", "Kempower"]
# Connector specifications as the model stores them: three-phase AC, DC fast charging, a household socket.
SPEC_KINDS = [
    {
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "voltage": 230,
        "amperage": 32,
    },
    {
        "standard": "IEC_62196_T2_COMBO",
        "format": "CABLE",
        "power_type": "DC",
        "voltage": 800,
        "amperage": 250,
    },
    {
        "standard": "DOMESTIC_F",
        "format": "SOCKET",
        "power_type": "AC_1_PHASE",
        "voltage": 230,
        "amperage": 16,
    },
]
