"""The closed value sets of the domain, stored as their OCPI codes."""

from django.db import models


class ConnectorStandard(models.TextChoices):
    """OCPI 2.2.1 ``ConnectorType``: the whole list, in the specification's order."""

    CHADEMO = "CHADEMO", "CHAdeMO"
    CHAOJI = "CHAOJI", "ChaoJi"
    DOMESTIC_A = "DOMESTIC_A", "Domestic type A (NEMA 1-15)"
    DOMESTIC_B = "DOMESTIC_B", "Domestic type B (NEMA 5-15)"
    DOMESTIC_C = "DOMESTIC_C", "Domestic type C (CEE 7/17, Europlug)"
    DOMESTIC_D = "DOMESTIC_D", "Domestic type D (3 pin)"
    DOMESTIC_E = "DOMESTIC_E", "Domestic type E (CEE 7/5)"
    DOMESTIC_F = "DOMESTIC_F", "Domestic type F (CEE 7/4, Schuko)"
    DOMESTIC_G = "DOMESTIC_G", "Domestic type G (BS 1363)"
    DOMESTIC_H = "DOMESTIC_H", "Domestic type H (SI-32)"
    DOMESTIC_I = "DOMESTIC_I", "Domestic type I (AS 3112)"
    DOMESTIC_J = "DOMESTIC_J", "Domestic type J (SEV 1011)"
    DOMESTIC_K = "DOMESTIC_K", "Domestic type K (DS 60884-2-D1)"
    DOMESTIC_L = "DOMESTIC_L", "Domestic type L (CEI 23-16-VII)"
    DOMESTIC_M = "DOMESTIC_M", "Domestic type M (BS 546)"
    DOMESTIC_N = "DOMESTIC_N", "Domestic type N (NBR 14136)"
    DOMESTIC_O = "DOMESTIC_O", "Domestic type O (TIS 166-2549)"
    GBT_AC = "GBT_AC", "GB/T AC (GB/T 20234.2)"
    GBT_DC = "GBT_DC", "GB/T DC (GB/T 20234.3)"
    IEC_60309_2_SINGLE_16 = "IEC_60309_2_single_16", "IEC 60309-2 industrial, single-phase 16 A"
    IEC_60309_2_THREE_16 = "IEC_60309_2_three_16", "IEC 60309-2 industrial, three-phase 16 A"
    IEC_60309_2_THREE_32 = "IEC_60309_2_three_32", "IEC 60309-2 industrial, three-phase 32 A"
    IEC_60309_2_THREE_64 = "IEC_60309_2_three_64", "IEC 60309-2 industrial, three-phase 64 A"
    IEC_62196_T1 = "IEC_62196_T1", "Type 1 (IEC 62196-2, SAE J1772)"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO", "CCS Combo 1 (IEC 62196-3)"
    IEC_62196_T2 = "IEC_62196_T2", "Type 2 (IEC 62196-2)"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO", "CCS Combo 2 (IEC 62196-3)"
    IEC_62196_T3A = "IEC_62196_T3A", "Type 3A (IEC 62196-2)"
    IEC_62196_T3C = "IEC_62196_T3C", "Type 3C (IEC 62196-2, Scame)"
    NEMA_5_20 = "NEMA_5_20", "NEMA 5-20"
    NEMA_6_30 = "NEMA_6_30", "NEMA 6-30"
    NEMA_6_50 = "NEMA_6_50", "NEMA 6-50"
    NEMA_10_30 = "NEMA_10_30", "NEMA 10-30"
    NEMA_10_50 = "NEMA_10_50", "NEMA 10-50"
    NEMA_14_30 = "NEMA_14_30", "NEMA 14-30"
    NEMA_14_50 = "NEMA_14_50", "NEMA 14-50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP", "Pantograph, bottom-up"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN", "Pantograph, top-down"
    TESLA_R = "TESLA_R", "Tesla Roadster"
    TESLA_S = "TESLA_S", "Tesla Model S"


class ConnectorFormat(models.TextChoices):
    """OCPI ``ConnectorFormat``."""

    CABLE = "CABLE", "Cable"
    SOCKET = "SOCKET", "Socket"


class PowerType(models.TextChoices):
    """OCPI ``PowerType``."""

    AC_1_PHASE = "AC_1_PHASE", "Single-phase AC"
    AC_3_PHASE = "AC_3_PHASE", "Three-phase AC"
    DC = "DC", "DC"


class StationStatus(models.TextChoices):
    INACTIVE = "inactive", "Inactive"
    ACTIVE = "active", "Active"


class ImportSource(models.TextChoices):
    WIZARD = "wizard", "Import station (wizard)"
    UPLOAD = "upload", "Upload stations (CSV or workbook)"
    COMMAND = "command", "import_stations command"
    API = "api", "API"
