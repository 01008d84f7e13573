"""The twelve ONC health IT workforce roles in their three categories (slugs are public API)."""

from __future__ import annotations

CC = "community college"
UNI = "university"

CATEGORIES = [
    {
        "slug": "mobile-adoption-support",
        "name": "Mobile adoption support",
        "description": (
            "Teams that travel from site to site to help practices and hospitals adopt health IT, "
            "working for regional extension centers, vendors or public health agencies."
        ),
        "roles": [
            {
                "slug": "practice-workflow-redesign-specialist",
                "name": "Practice workflow and information management redesign specialist",
                "track": CC,
                "summary": "Redesigns how a practice works so that health IT supports care and reporting.",
                "duties": (
                    "Studies how clinicians and staff really work, gathers their requirements, and fits "
                    "the functions of health IT into that work. Documents what information must flow "
                    "between organizations, designs processes and information flows that support "
                    "quality improvement and reporting, and puts revised workflows in place and checks "
                    "that they help. Comes from health care or IT; not a licensed clinician."
                ),
            },
            {
                "slug": "clinician-practitioner-consultant",
                "name": "Clinician/practitioner consultant",
                "track": CC,
                "summary": "A licensed clinician who brings the clinical view to health IT projects.",
                "duties": (
                    "Does the work of the redesign specialist from a licensed clinical or public health "
                    "background: solves implementation problems in clinical settings, shapes workflow "
                    "and data collection around quality measurement, helps choose vendors and software, "
                    "and connects users, IT staff and vendors."
                ),
            },
            {
                "slug": "implementation-support-specialist",
                "name": "Implementation support specialist",
                "track": CC,
                "summary": "Gets systems installed, configured and working on site through go-live.",
                "duties": (
                    "Supports a site before and during go-live: carries out the project plan, installs "
                    "hardware, configures software, applies usability principles, tests software "
                    "against its performance specifications, and works with vendors to solve "
                    "deployment problems."
                ),
            },
            {
                "slug": "implementation-manager",
                "name": "Implementation manager",
                "track": CC,
                "summary": "Leads the mobile implementation team on site.",
                "duties": (
                    "Manages the team that deploys health IT at a site: project and change management, "
                    "the implementation plan, communication with site staff, leadership of the team, "
                    "and relations with vendors."
                ),
            },
        ],
    },
    {
        "slug": "permanent-staff",
        "name": "Permanent staff of health care delivery and public health sites",
        "description": (
            "People who keep health IT working day after day at practices, hospitals, health "
            "centers, long-term care, health information exchanges and public health agencies."
        ),
        "roles": [
            {
                "slug": "clinician-public-health-leader",
                "name": "Clinician/public health leader",
                "track": UNI,
                "summary": "Leads the use of health IT for quality, safety, outcomes and value.",
                "duties": (
                    "Directs how an organization deploys and uses health IT to improve quality, safety, "
                    "outcomes and value, in posts such as chief medical or nursing informatics officer "
                    "or public health chief informatics officer. A physician, advanced-practice "
                    "clinician or public health graduate with a year or more of informatics study."
                ),
            },
            {
                "slug": "technical-software-support-staff",
                "name": "Technical/software support staff",
                "track": CC,
                "summary": "Keeps clinical and public health systems running.",
                "duties": (
                    "Maintains systems in clinical and public health settings: patches and upgrades "
                    "software, works with end users to diagnose and document IT problems, and supports "
                    "security and standards."
                ),
            },
            {
                "slug": "trainer",
                "name": "Trainer",
                "track": CC,
                "summary": "Teaches clinicians and staff to use health IT well.",
                "duties": (
                    "Designs and delivers training on the principles of adult learning, uses health IT "
                    "applications at an expert level, assesses learners' needs and competencies, writes "
                    "lesson plans, and keeps training records and learning plans."
                ),
            },
            {
                "slug": "health-information-management-exchange-specialist",
                "name": "Health information management and exchange specialist",
                "track": UNI,
                "summary": "Manages electronic health information and its exchange.",
                "duties": (
                    "Oversees the collection, management, retrieval, exchange and analysis of "
                    "electronic health information, with a baccalaureate specialization or "
                    "post-baccalaureate training."
                ),
            },
            {
                "slug": "health-information-privacy-security-specialist",
                "name": "Health information privacy and security specialist",
                "track": UNI,
                "summary": "Runs an organization's privacy or security program.",
                "duties": (
                    "Is qualified to serve as an organization's privacy or security officer: applies "
                    "the HIPAA Privacy and Security Rules, leads risk analysis, handles breach "
                    "notification, and governs access control and audit."
                ),
            },
        ],
    },
    {
        "slug": "informaticians",
        "name": "Health care and public health informaticians",
        "description": (
            "Researchers, engineers and specialists at universities, research centers, government "
            "agencies and the R&D divisions of software companies."
        ),
        "roles": [
            {
                "slug": "research-development-scientist",
                "name": "Research and development scientist",
                "track": UNI,
                "summary": "Creates new health IT models and studies their effect on quality.",
                "duties": (
                    "Builds new models and solutions for health IT and studies how health IT changes "
                    "the quality of care; works at the doctoral level and often teaches."
                ),
            },
            {
                "slug": "programmer-software-engineer",
                "name": "Programmer and software engineer",
                "track": UNI,
                "summary": "Architects and builds advanced health IT software.",
                "duties": (
                    "Designs and builds advanced health IT solutions with a real understanding of "
                    "clinical culture and workflow and of the standards health data travel in "
                    "(HL7 v2, CDA, FHIR and the clinical terminologies)."
                ),
            },
            {
                "slug": "health-it-sub-specialist",
                "name": "Health IT sub-specialist",
                "track": UNI,
                "summary": "Joins health IT with another discipline such as ethics, economics or policy.",
                "duties": (
                    "Brings together health care, IT and deep knowledge of another discipline (ethics, "
                    "economics, business, policy, cognitive psychology, industrial or systems "
                    "engineering); works at the master's level in research, development and teaching."
                ),
            },
        ],
    },
]

ROLE_SLUGS = [role["slug"] for category in CATEGORIES for role in category["roles"]]
CATEGORY_OF_ROLE = {role["slug"]: category["slug"] for category in CATEGORIES for role in category["roles"]}
