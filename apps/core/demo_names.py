"""Name lists for demo data and benchmarks (plain Python: no Django needed to import)."""

# Names from many places, accented and non-Latin ones included, so search can be tried on them.
GIVEN_NAMES = (  # noqa: SIM905  (a word list reads best as words)
    "John Mary James Patricia Robert Jennifer Michael Linda David Elizabeth José María Zoë Chloé "
    "François Björn Jürgen Anaïs Łukasz Małgorzata Søren Øyvind Åsa Ingrid Núria Joaquín Inés "
    "Thérèse Renée Noël Siobhán Seán Aoife Dmitri Olga Αλέξανδρος Ελένη Дмитрий Анна 伟 芳 Hiroshi "
    "Yuki Aarav Priya Fatima Mohammed Amina Kwame Ngozi Mateo Sofía Luca Giulia Emma Liam Noah "
    "Olivia Ava Sebastián Élodie"
).split()
FAMILY_NAMES = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Miller Davis García Rodríguez Martínez Hernández López "
    "González Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schäfer Koch Dubois Lefèvre "
    "Moreau Girard Nowak Kowalski Wiśniewski Jensen Nielsen Hansen Øster Ó'Brien O'Connor Murphy "
    "Kelly Rossi Russo Ferrari Esposito Иванов Смирнов Παπαδόπουλος 王 李 张 Tanaka Suzuki Sato Patel "
    "Sharma Khan Okafor Mensah Silva Santos"
).split()
