"""Loaner pool: lend, return, transfer, shortage, swap visits. Services never commit."""

from loaner_pool.errors import LoanerPoolError as LoanerPoolError
from loaner_pool.errors import LoanerStateError as LoanerStateError
from loaner_pool.errors import NoLoanerAvailable as NoLoanerAvailable
from loaner_pool.lending import ShortageResult as ShortageResult
from loaner_pool.lending import allocate_waiting as allocate_waiting
from loaner_pool.lending import lend as lend
from loaner_pool.service import LOANER_MOVES as LOANER_MOVES
from loaner_pool.service import LoanerChanged as LoanerChanged
from loaner_pool.service import LoanerView as LoanerView
from loaner_pool.service import LoanView as LoanView
from loaner_pool.service import NotFound as NotFound
from loaner_pool.service import arrive as arrive
from loaner_pool.service import mark_ready as mark_ready
from loaner_pool.service import release as release
from loaner_pool.service import reserve as reserve
from loaner_pool.service import retire as retire
from loaner_pool.service import return_loaner as return_loaner
from loaner_pool.service import transfer as transfer
from loaner_pool.swap import SwapError as SwapError
from loaner_pool.swap import swap_jobs_for as swap_jobs_for
