"""Synthetic vocabularies for the demo department's source databases.

Everything here is invented or is public reference knowledge (county names, rounded 2020
census populations, ZIP ranges, area codes, code lists). Names are common given names and
surnames drawn at random and combined at random, so no record describes a real person.
"""

from __future__ import annotations

# Tables of data read best packed, one record to a line or two.
# fmt: off
# (FIPS code, county, region, 2020 population, cities as (city, first ZIP, last ZIP, area code))
County = tuple[str, str, str, int, tuple[tuple[str, int, int, str], ...]]

COUNTIES: tuple[County, ...] = (
    ("06001", "Alameda", "Bay Area", 1_682_353, (
        ("Oakland", 94601, 94621, "510"), ("Fremont", 94536, 94539, "510"),
        ("Berkeley", 94702, 94710, "510"), ("Hayward", 94541, 94545, "510"))),
    ("06003", "Alpine", "Sierra", 1_204, (("Markleeville", 96120, 96120, "530"),)),
    ("06005", "Amador", "Sierra", 40_474, (
        ("Jackson", 95642, 95642, "209"), ("Ione", 95640, 95640, "209"))),
    ("06007", "Butte", "Northern Sacramento Valley", 211_632, (
        ("Chico", 95926, 95929, "530"), ("Oroville", 95965, 95966, "530"))),
    ("06009", "Calaveras", "Sierra", 45_292, (
        ("San Andreas", 95249, 95249, "209"), ("Angels Camp", 95222, 95222, "209"))),
    ("06011", "Colusa", "Northern Sacramento Valley", 21_839, (
        ("Colusa", 95932, 95932, "530"), ("Williams", 95987, 95987, "530"))),
    ("06013", "Contra Costa", "Bay Area", 1_165_927, (
        ("Concord", 94518, 94521, "925"), ("Richmond", 94801, 94806, "510"),
        ("Antioch", 94509, 94509, "925"), ("Walnut Creek", 94595, 94598, "925"))),
    ("06015", "Del Norte", "North Coast", 27_743, (("Crescent City", 95531, 95531, "707"),)),
    ("06017", "El Dorado", "Sacramento Area", 191_185, (
        ("Placerville", 95667, 95667, "530"), ("South Lake Tahoe", 96150, 96150, "530"),
        ("El Dorado Hills", 95762, 95762, "916"))),
    ("06019", "Fresno", "San Joaquin Valley", 1_008_654, (
        ("Fresno", 93701, 93730, "559"), ("Clovis", 93611, 93619, "559"))),
    ("06021", "Glenn", "Northern Sacramento Valley", 28_917, (
        ("Willows", 95988, 95988, "530"), ("Orland", 95963, 95963, "530"))),
    ("06023", "Humboldt", "North Coast", 136_463, (
        ("Eureka", 95501, 95503, "707"), ("Arcata", 95521, 95521, "707"))),
    ("06025", "Imperial", "San Diego-Imperial", 179_702, (
        ("El Centro", 92243, 92243, "760"), ("Calexico", 92231, 92231, "760"),
        ("Brawley", 92227, 92227, "760"))),
    ("06027", "Inyo", "Sierra", 19_016, (("Bishop", 93514, 93514, "760"),)),
    ("06029", "Kern", "San Joaquin Valley", 909_235, (
        ("Bakersfield", 93301, 93314, "661"), ("Delano", 93215, 93215, "661"))),
    ("06031", "Kings", "San Joaquin Valley", 152_486, (
        ("Hanford", 93230, 93230, "559"), ("Lemoore", 93245, 93245, "559"))),
    ("06033", "Lake", "North Coast", 68_163, (
        ("Lakeport", 95453, 95453, "707"), ("Clearlake", 95422, 95422, "707"))),
    ("06035", "Lassen", "Superior North", 32_730, (("Susanville", 96130, 96130, "530"),)),
    ("06037", "Los Angeles", "Los Angeles", 10_014_009, (
        ("Los Angeles", 90001, 90068, "213"), ("Long Beach", 90802, 90815, "562"),
        ("Pasadena", 91101, 91107, "626"), ("Lancaster", 93534, 93536, "661"),
        ("Glendale", 91201, 91208, "818"), ("Torrance", 90501, 90505, "310"),
        ("Pomona", 91766, 91768, "909"), ("Santa Clarita", 91350, 91355, "661"),
        ("El Monte", 91731, 91733, "626"), ("Downey", 90240, 90242, "562"))),
    ("06039", "Madera", "San Joaquin Valley", 156_255, (("Madera", 93637, 93638, "559"),)),
    ("06041", "Marin", "Bay Area", 262_321, (
        ("San Rafael", 94901, 94903, "415"), ("Novato", 94945, 94949, "415"))),
    ("06043", "Mariposa", "Sierra", 17_131, (("Mariposa", 95338, 95338, "209"),)),
    ("06045", "Mendocino", "North Coast", 91_601, (
        ("Ukiah", 95482, 95482, "707"), ("Fort Bragg", 95437, 95437, "707"))),
    ("06047", "Merced", "San Joaquin Valley", 281_202, (
        ("Merced", 95340, 95348, "209"), ("Los Banos", 93635, 93635, "209"))),
    ("06049", "Modoc", "Superior North", 8_700, (("Alturas", 96101, 96101, "530"),)),
    ("06051", "Mono", "Sierra", 13_195, (
        ("Mammoth Lakes", 93546, 93546, "760"), ("Bridgeport", 93517, 93517, "760"))),
    ("06053", "Monterey", "Central Coast", 439_035, (
        ("Salinas", 93901, 93908, "831"), ("Monterey", 93940, 93940, "831"))),
    ("06055", "Napa", "Bay Area", 138_019, (
        ("Napa", 94558, 94559, "707"), ("American Canyon", 94503, 94503, "707"))),
    ("06057", "Nevada", "Sierra", 102_241, (
        ("Grass Valley", 95945, 95949, "530"), ("Truckee", 96161, 96161, "530"))),
    ("06059", "Orange", "Orange", 3_186_989, (
        ("Anaheim", 92801, 92807, "714"), ("Santa Ana", 92701, 92707, "714"),
        ("Irvine", 92602, 92620, "949"), ("Huntington Beach", 92646, 92649, "714"),
        ("Garden Grove", 92840, 92845, "714"), ("Fullerton", 92831, 92835, "714"))),
    ("06061", "Placer", "Sacramento Area", 404_739, (
        ("Roseville", 95678, 95678, "916"), ("Rocklin", 95677, 95677, "916"),
        ("Auburn", 95603, 95603, "530"))),
    ("06063", "Plumas", "Sierra", 19_790, (("Quincy", 95971, 95971, "530"),)),
    ("06065", "Riverside", "Inland Empire", 2_418_185, (
        ("Riverside", 92501, 92509, "951"), ("Moreno Valley", 92551, 92557, "951"),
        ("Temecula", 92590, 92592, "951"), ("Palm Springs", 92262, 92264, "760"),
        ("Corona", 92879, 92883, "951"), ("Indio", 92201, 92203, "760"))),
    ("06067", "Sacramento", "Sacramento Area", 1_585_055, (
        ("Sacramento", 95811, 95838, "916"), ("Elk Grove", 95757, 95758, "916"),
        ("Citrus Heights", 95610, 95621, "916"))),
    ("06069", "San Benito", "Central Coast", 64_209, (("Hollister", 95023, 95023, "831"),)),
    ("06071", "San Bernardino", "Inland Empire", 2_181_654, (
        ("San Bernardino", 92401, 92411, "909"), ("Fontana", 92335, 92337, "909"),
        ("Ontario", 91761, 91764, "909"), ("Victorville", 92392, 92395, "760"),
        ("Rancho Cucamonga", 91730, 91730, "909"))),
    ("06073", "San Diego", "San Diego-Imperial", 3_298_634, (
        ("San Diego", 92101, 92131, "619"), ("Chula Vista", 91910, 91915, "619"),
        ("Oceanside", 92054, 92058, "760"), ("Escondido", 92025, 92029, "760"),
        ("El Cajon", 92019, 92021, "619"))),
    ("06075", "San Francisco", "Bay Area", 873_965, (
        ("San Francisco", 94102, 94134, "415"),)),
    ("06077", "San Joaquin", "San Joaquin Valley", 779_233, (
        ("Stockton", 95202, 95215, "209"), ("Tracy", 95376, 95377, "209"),
        ("Lodi", 95240, 95242, "209"))),
    ("06079", "San Luis Obispo", "Central Coast", 282_424, (
        ("San Luis Obispo", 93401, 93405, "805"), ("Paso Robles", 93446, 93446, "805"))),
    ("06081", "San Mateo", "Bay Area", 764_442, (
        ("San Mateo", 94401, 94404, "650"), ("Daly City", 94014, 94015, "650"),
        ("Redwood City", 94061, 94065, "650"))),
    ("06083", "Santa Barbara", "Central Coast", 448_229, (
        ("Santa Barbara", 93101, 93111, "805"), ("Santa Maria", 93454, 93458, "805"))),
    ("06085", "Santa Clara", "Bay Area", 1_936_259, (
        ("San Jose", 95110, 95139, "408"), ("Sunnyvale", 94085, 94089, "408"),
        ("Santa Clara", 95050, 95054, "408"), ("Palo Alto", 94301, 94306, "650"))),
    ("06087", "Santa Cruz", "Central Coast", 270_861, (
        ("Santa Cruz", 95060, 95065, "831"), ("Watsonville", 95076, 95076, "831"))),
    ("06089", "Shasta", "Northern Sacramento Valley", 182_155, (
        ("Redding", 96001, 96003, "530"), ("Anderson", 96007, 96007, "530"))),
    ("06091", "Sierra", "Sierra", 3_236, (
        ("Downieville", 95936, 95936, "530"), ("Loyalton", 96118, 96118, "530"))),
    ("06093", "Siskiyou", "Superior North", 44_076, (
        ("Yreka", 96097, 96097, "530"), ("Mount Shasta", 96067, 96067, "530"))),
    ("06095", "Solano", "Bay Area", 453_491, (
        ("Vallejo", 94589, 94591, "707"), ("Fairfield", 94533, 94534, "707"),
        ("Vacaville", 95687, 95688, "707"))),
    ("06097", "Sonoma", "Bay Area", 488_863, (
        ("Santa Rosa", 95401, 95409, "707"), ("Petaluma", 94952, 94954, "707"))),
    ("06099", "Stanislaus", "San Joaquin Valley", 552_878, (
        ("Modesto", 95350, 95358, "209"), ("Turlock", 95380, 95382, "209"))),
    ("06101", "Sutter", "Sacramento Area", 99_633, (("Yuba City", 95991, 95993, "530"),)),
    ("06103", "Tehama", "Northern Sacramento Valley", 65_829, (
        ("Red Bluff", 96080, 96080, "530"), ("Corning", 96021, 96021, "530"))),
    ("06105", "Trinity", "North Coast", 16_112, (("Weaverville", 96093, 96093, "530"),)),
    ("06107", "Tulare", "San Joaquin Valley", 473_117, (
        ("Visalia", 93277, 93292, "559"), ("Tulare", 93274, 93274, "559"),
        ("Porterville", 93257, 93257, "559"))),
    ("06109", "Tuolumne", "Sierra", 55_620, (("Sonora", 95370, 95370, "209"),)),
    ("06111", "Ventura", "Central Coast", 843_843, (
        ("Oxnard", 93030, 93036, "805"), ("Ventura", 93001, 93004, "805"),
        ("Thousand Oaks", 91360, 91362, "805"), ("Simi Valley", 93063, 93065, "805"))),
    ("06113", "Yolo", "Sacramento Area", 216_403, (
        ("Davis", 95616, 95618, "530"), ("Woodland", 95695, 95695, "530"),
        ("West Sacramento", 95691, 95691, "916"))),
    ("06115", "Yuba", "Sacramento Area", 81_575, (("Marysville", 95901, 95901, "530"),)),
)

# Race and ethnicity, and the weights of each in the synthetic population (roughly California's
# mix). The third item picks the name pool: 0 general, 1 Hispanic, 2 Asian.
RACE_ETHNICITY: tuple[tuple[str, float, int], ...] = (
    ("Hispanic or Latino", 0.39, 1),
    ("White", 0.35, 0),
    ("Asian", 0.15, 2),
    ("Black or African American", 0.055, 0),
    ("Two or more races", 0.035, 0),
    ("American Indian or Alaska Native", 0.006, 0),
    ("Native Hawaiian or Pacific Islander", 0.004, 0),
    ("Unknown", 0.01, 0),
)

LANGUAGES: tuple[str, ...] = (
    "English", "Spanish", "Chinese", "Tagalog", "Vietnamese", "Korean", "Armenian",
    "Farsi", "Russian", "Arabic", "Punjabi", "Hmong", "Japanese", "Khmer",
)
# Preferred-language weights for each race/ethnicity row above, in LANGUAGES order.
LANGUAGE_WEIGHTS: tuple[tuple[float, ...], ...] = (
    (55, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    (92, 1, 0, 0, 0, 0, 2.5, 1.5, 2, 1, 0, 0, 0, 0),
    (55, 0, 14, 10, 9, 5, 0, 0, 0, 0, 2, 2, 2, 1),
    (98, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
    (90, 8, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    (90, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    (95, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    (80, 15, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0),
)

# Given names per name pool: (female, male).
FIRST_NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("Mary", "Jennifer", "Linda", "Emily", "Sarah", "Jessica", "Ashley", "Amanda",
         "Megan", "Hannah", "Olivia", "Emma", "Ava", "Abigail", "Madison", "Chloe", "Grace",
         "Rachel", "Lauren", "Nicole", "Samantha", "Katherine", "Elizabeth", "Susan", "Karen",
         "Donna", "Carol", "Ruth", "Sharon", "Michelle", "Laura", "Kimberly", "Deborah",
         "Stephanie", "Rebecca", "Heather", "Amber", "Brittany", "Danielle", "Tiffany",
         "Aaliyah", "Imani", "Keisha", "Jasmine", "Destiny", "Harper", "Nora", "Zoe"),
        ("James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph",
         "Thomas", "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Steven",
         "Andrew", "Joshua", "Kevin", "Brian", "Ryan", "Jacob", "Tyler", "Brandon", "Justin",
         "Nathan", "Ethan", "Logan", "Noah", "Liam", "Mason", "Lucas", "Owen", "Wyatt",
         "Caleb", "Isaiah", "Darnell", "Jamal", "Malik", "Terrence", "Andre", "Marcus",
         "Gregory", "Dennis", "Eric", "Scott", "Aaron", "Dylan"),
    ),
    (
        ("Maria", "Guadalupe", "Ana", "Sofia", "Isabella", "Camila", "Valeria", "Ximena",
         "Daniela", "Gabriela", "Mariana", "Lucia", "Elena", "Rosa", "Carmen", "Veronica",
         "Alejandra", "Adriana", "Yesenia", "Leticia", "Araceli", "Marisol", "Esperanza",
         "Beatriz", "Claudia", "Paola", "Andrea", "Natalia", "Fernanda", "Jimena", "Karla",
         "Liliana", "Monica", "Patricia", "Silvia", "Teresa", "Yolanda", "Angelica"),
        ("Jose", "Juan", "Luis", "Carlos", "Jesus", "Miguel", "Francisco", "Antonio",
         "Alejandro", "Javier", "Manuel", "Ricardo", "Fernando", "Roberto", "Eduardo", "Jorge",
         "Sergio", "Mario", "Raul", "Arturo", "Oscar", "Rafael", "Hector", "Armando",
         "Diego", "Mateo", "Santiago", "Emiliano", "Adrian", "Angel", "Cesar", "Gerardo",
         "Ivan", "Julio", "Marco", "Pedro", "Ruben", "Victor"),
    ),
    (
        ("Mei", "Li", "Jing", "Yan", "Hui", "Xin", "Linh", "Thuy", "Lan", "Ngoc", "Mai",
         "Hanh", "Ji-woo", "Min-seo", "Seo-yeon", "Yuna", "Yuki", "Aiko", "Haruka", "Maria",
         "Grace", "Michelle", "Jennifer", "Christine", "Angela", "Priya", "Ananya", "Simran",
         "Harpreet", "Kiran", "Mary Ann", "Rowena", "Maricel", "Joy", "Cherry", "Lily"),
        ("Wei", "Jun", "Hao", "Ming", "Jian", "Tao", "Minh", "Tuan", "Duc", "Khang", "Bao",
         "Long", "Min-jun", "Seo-jun", "Ji-ho", "Hyun", "Kenji", "Hiroshi", "Takeshi", "Ryo",
         "Daniel", "Kevin", "Jason", "Eric", "Andrew", "Raj", "Arjun", "Vikram", "Gurpreet",
         "Harjit", "Jose", "Mark", "Rommel", "Jerome", "Vincent", "Paolo"),
    ),
)

SURNAMES: tuple[tuple[str, ...], ...] = (
    ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
     "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White",
     "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
     "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts",
     "Turner", "Phillips", "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart",
     "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey",
     "Bell", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett",
     "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster",
     "O'Brien", "McCarthy", "Sullivan", "Petrosyan", "Hakobyan", "Hosseini", "Ivanov"),
    ("Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez",
     "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Reyes", "Morales",
     "Cruz", "Ortiz", "Gutierrez", "Chavez", "Ramos", "Ruiz", "Alvarez", "Mendoza",
     "Castillo", "Jimenez", "Moreno", "Romero", "Herrera", "Medina", "Aguilar", "Vargas",
     "Castro", "Guzman", "Fernandez", "Juarez", "Salazar", "Rojas", "Contreras", "Luna",
     "Estrada", "Delgado", "Vasquez", "Navarro", "Cervantes", "Soto", "Avila", "Villanueva",
     "De La Cruz", "Del Rio", "Sandoval", "Ochoa", "Zamora", "Ibarra", "Valencia"),
    ("Nguyen", "Tran", "Le", "Pham", "Huynh", "Vo", "Chen", "Wang", "Li", "Zhang", "Liu",
     "Huang", "Wu", "Lin", "Yang", "Wong", "Chan", "Lee", "Kim", "Park", "Choi", "Jung",
     "Kang", "Cho", "Yamamoto", "Tanaka", "Nakamura", "Watanabe", "Santos", "Reyes",
     "Dela Cruz", "Bautista", "Ocampo", "Mendoza", "Patel", "Singh", "Kaur", "Shah",
     "Sharma", "Gill", "Sandhu", "Vang", "Xiong", "Lor", "Chao", "Ly", "Phan", "Dang"),
)

STREET_NAMES: tuple[str, ...] = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Walnut", "Sycamore", "Willow",
    "Mission", "El Camino", "Sierra", "Vista", "Hillcrest", "Lakeview", "Park", "Washington",
    "Lincoln", "Jefferson", "Madison", "Franklin", "Grand", "Central", "Broadway", "Orange",
    "Lemon", "Olive", "Magnolia", "Poppy", "Redwood", "Manzanita", "Buena Vista", "Del Mar",
    "Palm", "Juniper", "Acacia", "Laurel", "Alder", "Cypress", "Sequoia", "Shasta",
    "Tahoe", "Yosemite", "Monterey", "Rancho", "Canyon", "Meadow", "Harbor", "Ocean",
    "Valley", "Sunset", "Sunrise", "Foothill", "Arroyo", "Mesa", "Alameda", "Cabrillo",
    "Portola", "Serra", "Anza", "Figueroa", "Alvarado", "Kearny", "Sutter", "Marsh",
)
STREET_SUFFIXES: tuple[str, ...] = ("St", "Ave", "Blvd", "Dr", "Way", "Ct", "Ln", "Rd", "Pl")

# Domains reserved by RFC 2606 for documentation, so no generated address can reach anyone.
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")

# Words for invented employer, clinic and facility names.
NAME_ADJECTIVES: tuple[str, ...] = (
    "Golden", "Pacific", "Sierra", "Coastal", "Valley", "Redwood", "Sunrise", "Poppy",
    "Summit", "Harbor", "Delta", "Bayside", "Foothill", "Mesa", "Cascade", "Mojave",
    "Granite", "Evergreen", "Bright", "Silver", "Blue Oak", "Canyon", "Orchard", "Tule",
)
EMPLOYER_NOUNS: tuple[str, ...] = (
    "Logistics", "Health Partners", "Software", "Foods", "Builders", "Energy", "Transit",
    "Credit Union", "Unified School District", "Medical Group", "Water District",
    "Manufacturing", "Farms", "Hospitality", "Insurance", "Analytics", "Packaging",
)
EMPLOYER_SUFFIXES: tuple[str, ...] = ("Inc.", "LLC", "Co.", "Corporation", "", "")
INDUSTRIES: tuple[str, ...] = (
    "Health Care and Social Assistance", "Educational Services", "Public Administration",
    "Retail Trade", "Manufacturing", "Professional, Scientific, and Technical Services",
    "Transportation and Warehousing", "Accommodation and Food Services",
    "Finance and Insurance", "Agriculture, Forestry, Fishing and Hunting", "Construction",
    "Information", "Utilities",
)
CLINIC_NOUNS: tuple[str, ...] = (
    "Community Clinic", "Family Health Center", "Wellness Center", "Health Center",
    "Community Health Center", "Medical Clinic",
)
# Regulated facility kinds, with the word used in invented facility names.
FACILITY_TYPES: tuple[tuple[str, str], ...] = (
    ("Dry cleaner", "Cleaners"), ("Auto body shop", "Auto Body"),
    ("Gasoline station", "Fuel Stop"), ("Metal plating shop", "Plating Works"),
    ("Distribution warehouse", "Distribution Center"), ("Composting facility", "Organics"),
    ("Concrete batch plant", "Ready Mix"), ("Rail yard", "Rail Yard"),
)
# fmt: on
