"""The words of the synthetic exports: names, places, clauses, contract types, public labels.

All invented or generic. Weighted tuples are ``(value, weight)`` pairs for ``random.choices``.
"""

from __future__ import annotations

from clausekit.samples.model import ARTOIS, HENIN, LENS, PMSMP

PRENOMS_H = (
    "Thomas", "Nicolas", "Julien", "Kévin", "Mehdi", "Anthony", "Dylan", "Maxime", "Jérôme",
    "Sébastien", "Karim", "Mohamed", "Yassine", "Ludovic", "Grégory", "Jordan", "Enzo", "Lucas",
    "Hugo", "Théo", "Florian", "Mickaël", "Cédric", "David", "Franck", "Pascal", "Stéphane",
    "Rachid", "Bruno", "Alexandre", "Jean-Pierre", "Loïc",
)  # fmt: skip
PRENOMS_F = (
    "Marie", "Julie", "Laura", "Sarah", "Camille", "Émilie", "Aurélie", "Sandrine", "Nathalie",
    "Céline", "Amandine", "Inès", "Fatima", "Léa", "Manon", "Chloé", "Jessica", "Mélanie",
    "Karine", "Sabrina", "Océane", "Nadia", "Christelle", "Virginie",
)  # fmt: skip
NOMS = (
    "Martin", "Bernard", "Dubois", "Lefebvre", "Leroy", "Lemaire", "Dupont", "Lambert",
    "Roussel", "Fontaine", "Duhamel", "Caron", "Lecomte", "Vasseur", "Delattre", "Dumont",
    "Petit", "Durand", "Moreau", "Laurent", "Simon", "Michel", "Garcia", "Bouchez", "Deprez",
    "Carpentier", "Delcroix", "Kaczmarek", "Nowak", "Benali", "Mansouri", "Haddad", "Duquesne",
    "Boulanger", "Pruvost", "Dupuis", "Lebrun", "Coquelle", "Delannoy", "Lefèvre",
)  # fmt: skip

COMMUNES = {
    LENS: ("Lens", "Liévin", "Avion", "Grenay", "Loos-en-Gohelle", "Bully-les-Mines",
           "Sallaumines", "Méricourt"),
    HENIN: ("Hénin-Beaumont", "Carvin", "Courrières", "Oignies", "Montigny-en-Gohelle",
            "Rouvroy", "Noyelles-Godault", "Dourges"),
    ARTOIS: ("Arras", "Achicourt", "Saint-Laurent-Blangy", "Marœuil", "Bapaume", "Dainville",
             "Beaurains", "Marquion"),
}  # fmt: skip
DONNEURS = {
    "ERBM": ("Maisons & Cités", "SIA Habitat", "Pas-de-Calais Habitat"),
    "CSNE": ("Société du Canal Seine-Nord Europe", "SANEF", "SNCF Réseau"),
    "AUTRE": (
        "Communauté d'agglomération de Lens-Liévin",
        "Département du Pas-de-Calais",
        "Communauté urbaine d'Arras",
    ),
}
CLAUSES = (
    "L2112-2",
    "Clause d'insertion (art. 38)",
    "Article 14 + critère social",
    "Marché réservé SIAE (L2113-13)",
    "R2123-1 marché d'insertion",
    "Critère R2152-7",
)
CLAUSE_WEIGHTS = (30, 15, 15, 10, 10, 20)
CITES = ("cité 9", "cité des Provinces", "cité Bellevue", "cité du 4", "cité Saint-Pierre",
         "cité des Alouettes", "cité Jeanne d'Arc", "cité du Moulin")  # fmt: skip
CSNE_WORKS = ("Terrassements", "Ouvrages d'art", "Écluse", "Pont-canal", "Rétablissements "
              "routiers", "Quai de transbordement", "Aménagements paysagers")  # fmt: skip
AUTRES_WORKS = ("Construction d'un groupe scolaire", "Rénovation du gymnase",
                "Entretien des espaces verts", "Voirie et réseaux divers",
                "Nettoyage des bâtiments publics", "Réhabilitation de la médiathèque")  # fmt: skip

CONTRACT_TYPES = (
    ("CDI", 6), ("CDD", 10), ("CDD 8 mois", 3), ("Intérim", 14), ("Mission d'intérim", 8),
    ("Contrat de professionnalisation", 5), ("Contrat d'apprentissage", 4), ("CDDI", 14),
    ("Emploi franc CDD", 2), ("CUI-CIE", 3), (PMSMP, 5),
)  # fmt: skip
WORK_TYPES = tuple(t for t, _ in CONTRACT_TYPES if t != PMSMP)
# (min, max) duration in months; None: open-ended.
DURATIONS: dict[str, tuple[int, int] | None] = {
    "CDI": None, "CDD": (1, 6), "CDD 8 mois": (8, 8), "Intérim": (1, 3),
    "Mission d'intérim": (1, 4), "Contrat de professionnalisation": (6, 12),
    "Contrat d'apprentissage": (12, 24), "CDDI": (4, 12), "Emploi franc CDD": (6, 12),
    "CUI-CIE": (6, 12), PMSMP: (0, 0),
}  # fmt: skip
EMPLOYER_TYPES = {
    "Intérim": (("ETTI", 55), ("ETT", 45)),
    "Mission d'intérim": (("ETTI", 50), ("ETT", 50)),
    "CDDI": (("ACI", 40), ("EI", 35), ("AI", 25)),
    "Contrat de professionnalisation": (("GEIQ", 50), ("classique", 50)),
    "Contrat d'apprentissage": (("GEIQ", 30), ("classique", 70)),
    PMSMP: (("classique", 60), ("EI", 20), ("ACI", 20)),
}
EMPLOYERS = {
    "classique": ("Bâtiments du Bassin Minier", "Gohelle Construction", "Artois Rénovation",
                  "TP Nord Canal", "Menuiseries de l'Escaut", "Couverture Deûle et Fils",
                  "Peinture Ravalement 62", "Électricité des Terrils", "Voirie Scarpe TP",
                  "Plâtrerie Isolation Haute-Deûle"),
    "ETTI": ("ETTI Tremplin Intérim 62", "Solid'Intérim Artois", "ETTI Passerelle Gohelle"),
    "ETT": ("Nord Intérim Services", "Travail Temporaire des Flandres", "Intérim Canal BTP"),
    "ACI": ("Chantier École de la Gohelle", "ACI Les Jardins du Terril", "ACI Bâti'Cœur"),
    "EI": ("Bâti Insertion 62", "EI Second Œuvre Solidaire"),
    "AI": ("AI Coup de Main Lens-Liévin", "AI Services Plus Carvin"),
    "GEIQ": ("GEIQ BTP Nord-Artois", "GEIQ Propreté Pas-de-Calais"),
}  # fmt: skip
EXITS = (
    ("CDI", 10), ("CDD 6 mois", 8), ("CDD de 4 mois", 8), ("Mission intérim 3 mois", 8),
    ("Formation qualifiante", 7), ("Embauche en SIAE", 7), ("Recherche d'emploi", 20),
    ("Sans nouvelles", 10), ("", 22),
)  # fmt: skip

# How each territory types the public labels.
LENS_LABELS = {
    "BRSA": ("BRSA", "BRSA", "RSA socle", "Allocataire RSA"),
    "JEUNE_M26": ("-26 ans",),
    "ASE": ("Jeune ASE", "Jeune ASE", "Contrat jeune majeur"),
    "DELD": ("DELD", "DE longue durée"),
    "TH": ("RQTH", "TH"),
    "SENIOR_50": ("Senior",),
    "QPV": ("QPV",),
}
ARTOIS_LABELS = {
    "BRSA": "Bénéficiaire du RSA",
    "JEUNE_M26": "Moins de 26 ans",
    "ASE": "Aide sociale à l'enfance",
    "DELD": "DE longue durée",
    "TH": "Travailleur handicapé",
    "SENIOR_50": "Senior",
    "QPV": "Résident QPV",
}
MOIS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc.")  # fmt: skip
